"""The one font of every PDF: the vendored Noto Sans SC subset (static/fonts), embedded in each file.

Only these files are registered with ReportLab, and the layout names no other font, so a document
looks the same on every machine and needs no font where it is read or printed. The subset holds
GB 2312, the division table's place names and common name characters
(``scripts/subset_cjk_font.py`` rebuilds it); ``missing_characters`` tells which characters of a
text it lacks.
"""

from functools import cache
from pathlib import Path

from django.conf import settings
from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

FONT_DIR = Path(settings.BASE_DIR) / "static" / "fonts"
REGULAR = "NotoSansSC"
BOLD = "NotoSansSC-Bold"
FILES = {REGULAR: "NotoSansSC-Regular.ttf", BOLD: "NotoSansSC-Bold.ttf"}


@cache
def fonts_register() -> tuple[str, str]:
    """Register the vendored fonts with ReportLab (once per process); return (regular, bold)."""
    for name, filename in FILES.items():
        pdfmetrics.registerFont(TTFont(name, str(FONT_DIR / filename)))
    # <b> in a paragraph is the bold file; there is no italic, so italic is upright.
    addMapping(REGULAR, 0, 0, REGULAR)
    addMapping(REGULAR, 0, 1, REGULAR)
    addMapping(REGULAR, 1, 0, BOLD)
    addMapping(REGULAR, 1, 1, BOLD)
    return REGULAR, BOLD


def missing_characters(text: str) -> set[str]:
    """The characters of ``text`` the font has no glyph for (they would print as a box)."""
    fonts_register()
    covered = pdfmetrics.getFont(REGULAR).face.charToGlyph
    return {ch for ch in set(text) if ch.isprintable() and not ch.isspace() and ord(ch) not in covered}
