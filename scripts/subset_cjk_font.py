#!/usr/bin/env python3
"""Regenerate the PDF font: static/fonts/NotoSansSC-{Regular,Bold}.ttf, subsets of Noto Sans CJK SC.

Why a subset, and why TrueType: every PDF the platform issues embeds its font (the output never
depends on the machine's fonts, ``luchen_care.documents.fonts``). ReportLab embeds TrueType
(``glyf``) outlines only, and Noto Sans CJK ships CFF outlines, 19 MB a weight. So this script
keeps the characters a Chinese administrative document uses and converts the outlines from cubic
(CFF) to quadratic (TrueType) curves with fontTools' cu2qu, as fontTools' ``otf2ttf`` recipe does.

The characters kept:
- printable ASCII and Latin-1, general punctuation, letter-like symbols (№ ℃), Roman and circled
  numbers, arrows and the shapes of GB 2312's symbol rows;
- every character of GB 2312 (its 682 symbols and 6,763 hanzi), CJK punctuation and full-width forms;
- every character of the division table (``luchen_care/regions/data``): the names of every
  province, city, county and street, some of which lie outside GB 2312 (垟, 峃, 鳌…);
- ``EXTRA_HANZI`` below: characters outside GB 2312 that are common in personal and institution
  names. Add a character there (and run this script) when a document shows a box for it;
  ``luchen_care.documents.fonts.missing_characters`` says which characters a text lacks.

The source is the fonts-noto-cjk Debian package (``apt-get install fonts-noto-cjk``: its
NotoSansCJK-{Regular,Bold}.ttc, face "Noto Sans CJK SC", version 2.004, SIL Open Font License
1.1; the licence is static/fonts/OFL.txt). The output is byte-for-byte reproducible for the same
source font and fontTools version (the timestamps are the source's):

    .venv/bin/python scripts/subset_cjk_font.py            # writes static/fonts/*.ttf
    .venv/bin/python scripts/subset_cjk_font.py --check    # exits 1 if the vendored files differ

fontTools is a development dependency (pyproject.toml, ``dev``); the running platform only reads
the vendored files.
"""

import argparse
import hashlib
import io
import sys
from pathlib import Path

from fontTools import subset
from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTCollection, newTable

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "static" / "fonts"
SOURCE_DIR = Path("/usr/share/fonts/opentype/noto")
SOURCE_FACE = "Noto Sans CJK SC"
WEIGHTS = {"Regular": "NotoSansCJK-Regular.ttc", "Bold": "NotoSansCJK-Bold.ttc"}
DIVISIONS = ROOT / "luchen_care" / "regions" / "data"

# Common in names, outside GB 2312 (only those the source font has are kept).
EXTRA_HANZI = "喆堃昇玥珺璟彧祎翀淏旻镕婧瑄琇昕晞晗珈琬蕊奕炜烨煜熠赟甯翾珏瑀璠頔"

# The cubic-to-quadratic tolerance, in font units (1,000 per em): invisible at any print size.
MAX_ERR = 1.0


def _ranges(*pairs):
    return {code for first, last in pairs for code in range(first, last + 1)}


def gb2312_characters():
    """Every character GB 2312 encodes: rows 1–9 (symbols) and 16–87 (hanzi), as code points."""
    codes = set()
    for row in range(0xA1, 0xF8):
        for cell in range(0xA1, 0xFF):
            try:
                codes.add(ord(bytes([row, cell]).decode("gb2312")))
            except UnicodeDecodeError:
                continue
    return codes


def division_characters():
    """Every non-ASCII character of the division table's names."""
    codes = set()
    for path in sorted(DIVISIONS.rglob("*.csv")):
        codes |= {ord(c) for c in path.read_text(encoding="utf-8") if ord(c) > 0x7F}
    return codes


def wanted_characters():
    return (
        _ranges(
            (0x20, 0x7E),  # ASCII
            (0xA0, 0xFF),  # Latin-1 (· × ÷ ° ±)
            (0x2010, 0x203B),  # general punctuation (— ‘ ’ “ ” … ‰ ※)
            (0x2100, 0x2122),  # letter-like (℃ № ™)
            (0x2160, 0x217B),  # Roman numerals
            (0x2190, 0x2199),  # arrows
            (0x2460, 0x249B),  # circled and bracketed numbers
            (0x25A0, 0x25CF),  # squares, triangles, circles
            (0x3000, 0x303F),  # CJK symbols and punctuation
            (0xFF01, 0xFF5E),  # full-width ASCII
            (0xFFE0, 0xFFE6),  # full-width signs (￥)
        )
        | gb2312_characters()
        | division_characters()
        | {ord(c) for c in EXTRA_HANZI}
    )


def _source_face(path):
    for font in TTCollection(str(path)).fonts:
        if font["name"].getDebugName(1) == SOURCE_FACE:
            return font
    raise SystemExit(f"{path} has no face named {SOURCE_FACE!r}")


def _to_truetype(font):
    """Replace the CFF outlines by TrueType ones (fontTools' otf2ttf recipe)."""
    order = font.getGlyphOrder()
    glyph_set = font.getGlyphSet()
    glyphs = {}
    for name in order:
        pen = TTGlyphPen(glyph_set)
        glyph_set[name].draw(Cu2QuPen(pen, MAX_ERR, reverse_direction=True))
        glyphs[name] = pen.glyph()
    font["loca"] = newTable("loca")
    font["glyf"] = glyf = newTable("glyf")
    glyf.glyphOrder = order
    glyf.glyphs = glyphs
    del font["CFF "]
    if "VORG" in font:
        del font["VORG"]
    glyf.compile(font)
    hmtx = font["hmtx"]
    for name, glyph in glyf.glyphs.items():
        if hasattr(glyph, "xMin"):
            hmtx[name] = (hmtx[name][0], glyph.xMin)
    font["maxp"] = maxp = newTable("maxp")
    maxp.tableVersion = 0x00010000
    maxp.numGlyphs = len(order)
    for attribute in (
        "maxZones",
        "maxTwilightPoints",
        "maxStorage",
        "maxFunctionDefs",
        "maxInstructionDefs",
        "maxStackElements",
        "maxSizeOfInstructions",
        "maxComponentElements",
    ):
        setattr(maxp, attribute, 0)
    maxp.maxZones = 1
    maxp.compile(font)
    post = font["post"]
    post.formatType = 3.0  # no glyph names: smaller, and nothing reads them
    post.extraNames = []
    post.mapping = {}
    font["head"].glyphDataFormat = 0
    font.sfntVersion = "\x00\x01\x00\x00"


def _rename(font, weight):
    """A subset is a modified version: its names say so (the family stays Noto Sans SC, no reserved name)."""
    names = font["name"]
    family, postscript = "Noto Sans SC", f"NotoSansSC-{weight}"
    version = names.getDebugName(5)
    for record in list(names.names):
        if record.nameID not in (0, 1, 2, 3, 4, 5, 6, 13, 14):
            names.removeNames(nameID=record.nameID)
    for platform in ((3, 1, 0x409), (1, 0, 0)):
        names.setName(family, 1, *platform)
        names.setName(weight, 2, *platform)
        names.setName(f"{postscript};{version};subset", 3, *platform)
        names.setName(f"{family} {weight}" if weight != "Regular" else family, 4, *platform)
        names.setName(f"{version}; subset (GB 2312 and more) for PDF documents", 5, *platform)
        names.setName(postscript, 6, *platform)


def build(weight):
    """The subset font of ``weight``, as bytes."""
    font = _source_face(SOURCE_DIR / WEIGHTS[weight])
    options = subset.Options()
    options.layout_features = []  # ReportLab lays out no OpenType features
    options.hinting = False
    options.desubroutinize = True
    options.notdef_outline = True
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=wanted_characters())
    subsetter.subset(font)
    _to_truetype(font)
    _rename(font, weight)
    for table in ("GSUB", "GPOS", "GDEF", "BASE", "vhea", "vmtx"):
        if table in font:
            del font[table]
    font.recalcTimestamp = False  # the source's head.modified: the same input gives the same bytes
    buffer = io.BytesIO()
    font.save(buffer)
    return buffer.getvalue()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the vendored files instead of writing")
    args = parser.parse_args()
    different = []
    for weight in WEIGHTS:
        data = build(weight)
        target = OUT / f"NotoSansSC-{weight}.ttf"
        digest = hashlib.sha256(data).hexdigest()
        if args.check:
            if not target.exists() or target.read_bytes() != data:
                different.append(target.name)
            print(f"{target.name}: built {len(data):,} bytes, sha256 {digest}")
        else:
            OUT.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            print(f"wrote {target.relative_to(ROOT)}: {len(data):,} bytes, sha256 {digest}")
    if different:
        print("differ from the vendored files: " + ", ".join(different), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
