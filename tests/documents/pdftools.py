"""What poppler (pdffonts, pdftotext, pdftoppm) makes of a PDF, as a reader's machine would show it.

``render(..., without_fonts=True)`` runs pdftoppm with a fontconfig that lists no font directory, so
no font of this machine (fonts-noto-cjk is installed here) can stand in for one a PDF does not embed.
``glyph_crops`` cuts each character pdftotext locates out of the rendered page, for the check that
Chinese characters are drawn as themselves: each crop has ink, and no two are the same bitmap (a
missing glyph is drawn as the same box every time, or not at all).
"""

import io
import re
import subprocess
from pathlib import Path
from xml.etree import ElementTree

from PIL import Image

EMPTY_FONTCONFIG = """<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig><cachedir>{cache}</cachedir></fontconfig>
"""


def empty_fontconfig(directory: Path) -> dict:
    """The environment of a process that sees no font at all: FONTCONFIG_FILE naming no font directory."""
    config = directory / "no-fonts.conf"
    config.write_text(EMPTY_FONTCONFIG.format(cache=directory / "fc-cache"), encoding="utf-8")
    return {"FONTCONFIG_FILE": str(config), "PATH": "/usr/bin:/bin", "HOME": str(directory)}


def fonts_of(pdf: Path) -> list[dict]:
    """pdffonts' table: one row per font, with its name, type and whether it is embedded."""
    lines = subprocess.run(["pdffonts", str(pdf)], check=True, capture_output=True, text=True).stdout.splitlines()
    rows = []
    for line in lines[2:]:
        # name, type (may hold spaces), encoding, emb, sub, uni, object, generation
        match = re.match(r"^(\S+)\s+(.+?)\s+(\S+)\s+(yes|no)\s+(yes|no)\s+(yes|no)\s+\d+\s+\d+$", line)
        assert match, f"unexpected pdffonts line: {line!r}"
        rows.append({"name": match[1], "type": match[2], "embedded": match[4] == "yes", "subset": match[5] == "yes"})
    return rows


def text_of(pdf: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True).stdout


def words_of(pdf: Path, page: int = 1) -> list[tuple[str, float, float, float, float]]:
    """(word, xMin, yMin, xMax, yMax) in points from the page's top left, as pdftotext -bbox finds them."""
    out = subprocess.run(
        ["pdftotext", "-bbox", "-f", str(page), "-l", str(page), str(pdf), "-"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    tree = ElementTree.fromstring(out.replace(' xmlns="http://www.w3.org/1999/xhtml"', ""))
    return [
        (w.text or "", float(w.get("xMin")), float(w.get("yMin")), float(w.get("xMax")), float(w.get("yMax")))
        for w in tree.iter("word")
    ]


def render(pdf: Path, *, dpi: int = 100, page: int = 1, env: dict | None = None) -> tuple[Image.Image, str]:
    """The page as pdftoppm draws it (greyscale), and what pdftoppm said on stderr."""
    result = subprocess.run(
        ["pdftoppm", "-r", str(dpi), "-f", str(page), "-l", str(page), "-png", "-singlefile", str(pdf)],
        check=True,
        capture_output=True,
        env=env,
    )
    return Image.open(io.BytesIO(result.stdout)).convert("L"), result.stderr.decode("utf-8", "replace")


def ink(image: Image.Image) -> int:
    """How many pixels are dark (the glyphs' ink)."""
    return sum(image.histogram()[:128])


def glyph_crops(image: Image.Image, words, *, dpi: int = 100) -> dict[str, bytes]:
    """Each one-character word's box, cut from ``image`` and thresholded to black and white."""
    scale = dpi / 72
    crops = {}
    for text, x0, y0, x1, y1 in words:
        if len(text) != 1:
            continue
        box = (int(x0 * scale) - 1, int(y0 * scale) - 1, int(x1 * scale) + 2, int(y1 * scale) + 3)
        crops[text] = image.crop(box).point(lambda v: 0 if v < 128 else 255).tobytes()
    return crops
