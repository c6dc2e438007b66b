"""The layout every document shares: an A4 page in Chinese, the issuer at the top, the check at the foot.

A document is a title and a list of blocks, written in a few lines by the app that issues it::

    doc = Document(title="托育机构登记回执")
    doc.paragraph("贵机构的登记信息已由本平台收到，特此回执。")
    doc.fields([("机构名称", institution.name), ("登记编号", registration.registration_number)])
    doc.table(["项目", "内容"], rows)

``services.document_issue`` renders it (``render``): the issuer and the platform's name head the
first page; the title, the document number and the date follow; each page's foot carries the
verification code, the issuing body, the verification URL with its QR code, and "第 n 页 共 N 页".
Every text is set in the vendored font (``fonts``), so the file embeds it and nothing else.
"""

import io
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

import qrcode
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas as pdf_canvas
from reportlab.platypus import BaseDocTemplate, Frame, PageTemplate, Paragraph, Spacer, Table, TableStyle

from .fonts import fonts_register

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 20 * mm
FOOTER_HEIGHT = 30 * mm
QR_SIZE = 22 * mm
INK = colors.HexColor("#1f2d3d")
QUIET = colors.HexColor("#5a6b7d")
LINE = colors.HexColor("#9aa8b6")
SHADE = colors.HexColor("#eef2f7")


def _styles():
    regular, bold = fonts_register()

    def style(name, **given):
        # wordWrap="CJK": Chinese breaks between any two characters, as it is typeset.
        # bulletFontName: ReportLab's default is Helvetica, a standard font no PDF of ours may name.
        defaults = {"fontName": regular, "bulletFontName": regular, "textColor": INK, "wordWrap": "CJK"}
        return ParagraphStyle(name, **{**defaults, **given})

    return {
        "issuer": style("issuer", fontSize=12, leading=18, alignment=TA_CENTER, textColor=QUIET),
        "title": style("title", fontName=bold, fontSize=20, leading=28, alignment=TA_CENTER, spaceAfter=2 * mm),
        "meta": style("meta", fontSize=10, leading=15, alignment=TA_RIGHT, textColor=QUIET),
        "heading": style("heading", fontName=bold, fontSize=13, leading=20, spaceBefore=5 * mm, spaceAfter=2 * mm),
        "body": style("body", fontSize=11, leading=19, firstLineIndent=22, spaceAfter=2 * mm),
        "note": style("note", fontSize=9, leading=14, textColor=QUIET, spaceBefore=3 * mm),
        "cell": style("cell", fontSize=10.5, leading=16),
        "label": style("label", fontName=bold, fontSize=10.5, leading=16),
    }


def _text(value) -> str:
    """A value as paragraph markup: escaped (a name may hold < or &), line breaks kept, empty as a dash."""
    text = "" if value is None else str(value)
    return escape(text).replace("\n", "<br/>") if text.strip() else "—"


@dataclass
class Document:
    """What a document says: its title and its blocks, in order (headings, fields, paragraphs, tables)."""

    title: str
    blocks: list = field(default_factory=list)

    def heading(self, text):
        self.blocks.append(("heading", text))
        return self

    def paragraph(self, text):
        self.blocks.append(("paragraph", text))
        return self

    def fields(self, rows):
        """A key–value table: ``rows`` are (label, value) pairs."""
        self.blocks.append(("fields", [(label, value) for label, value in rows]))
        return self

    def table(self, header, rows, widths=None):
        """A table with a header row (repeated on each page); ``widths`` are fractions of the line."""
        self.blocks.append(("table", (list(header), [list(row) for row in rows], widths)))
        return self

    def note(self, text):
        """Small print under the body (how to check the document, what it is not)."""
        self.blocks.append(("note", text))
        return self

    def text(self) -> str:
        """Every word the document shows in its body, for checking the font covers it."""
        parts = [self.title]
        for kind, content in self.blocks:
            if kind == "fields":
                parts += [f"{label}{value}" for label, value in content]
            elif kind == "table":
                header, rows, _widths = content
                parts += [str(cell) for cell in header] + [str(cell) for row in rows for cell in row]
            else:
                parts.append(str(content))
        return "".join(parts)


@dataclass(frozen=True)
class Imprint:
    """Who issues the document and how to check it: printed on every page."""

    issuer: str  # the issuing body (某某市某某区卫生健康局)
    platform: str  # the platform's name (某某托育综合监管平台)
    code: str  # the verification code as printed, in groups
    verify_url: str  # the absolute URL of its verification page
    number: str  # the document number, or empty
    issued_on: str  # the date as printed (2026年12月4日)


def _story(document, imprint, styles):
    regular, _bold = fonts_register()
    width = PAGE_WIDTH - 2 * MARGIN
    story = [
        Paragraph(_text(imprint.issuer), styles["issuer"]),
        Spacer(1, 3 * mm),
        Paragraph(_text(document.title), styles["title"]),
    ]
    meta = [_("Issued on %(date)s") % {"date": imprint.issued_on}]
    if imprint.number:
        meta.insert(0, _("No. %(number)s") % {"number": imprint.number})
    story += [Paragraph(_text("　".join(meta)), styles["meta"]), Spacer(1, 4 * mm)]
    for kind, content in document.blocks:
        if kind == "heading":
            story.append(Paragraph(_text(content), styles["heading"]))
        elif kind == "paragraph":
            story.append(Paragraph(_text(content), styles["body"]))
        elif kind == "note":
            story.append(Paragraph(_text(content), styles["note"]))
        elif kind == "fields":
            data = [
                [Paragraph(_text(label), styles["label"]), Paragraph(_text(value), styles["cell"])]
                for label, value in content
            ]
            grid = Table(data, colWidths=[0.3 * width, 0.7 * width])
            grid.setStyle(
                TableStyle(
                    [
                        ("FONTNAME", (0, 0), (-1, -1), regular),
                        ("GRID", (0, 0), (-1, -1), 0.5, LINE),
                        ("BACKGROUND", (0, 0), (0, -1), SHADE),
                        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                        ("TOPPADDING", (0, 0), (-1, -1), 4),
                        ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
                    ]
                )
            )
            story += [grid, Spacer(1, 3 * mm)]
        elif kind == "table":
            header, rows, widths = content
            columns = len(header)
            fractions = widths or [1 / columns] * columns
            data = [[Paragraph(_text(cell), styles["label"]) for cell in header]]
            data += [[Paragraph(_text(cell), styles["cell"]) for cell in row] for row in rows]
            grid = Table(data, colWidths=[f * width for f in fractions], repeatRows=1)
            grid.setStyle(
                TableStyle(
                    [
                        ("FONTNAME", (0, 0), (-1, -1), regular),
                        ("GRID", (0, 0), (-1, -1), 0.5, LINE),
                        ("BACKGROUND", (0, 0), (-1, 0), SHADE),
                        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                    ]
                )
            )
            story += [grid, Spacer(1, 3 * mm)]
        else:
            raise ValueError(f"unknown block {kind!r}")
    return story


def _draw_qr(canvas, url, x, y, size):
    """The QR code of ``url`` as vector squares (no image, nothing to decode but the squares)."""
    code = qrcode.QRCode(border=0, error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(url)
    code.make(fit=True)
    matrix = code.get_matrix()
    cell = size / len(matrix)
    canvas.setFillColor(colors.black)
    for row, line in enumerate(matrix):
        for column, dark in enumerate(line):
            if dark:
                canvas.rect(x + column * cell, y + size - (row + 1) * cell, cell, cell, stroke=0, fill=1)


def _canvas_class(imprint):
    regular, bold = fonts_register()

    class ImprintedCanvas(pdf_canvas.Canvas):
        """Draws each page's foot once the page count is known (第 n 页 共 N 页)."""

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._pages = []

        def showPage(self):  # noqa: N802  (ReportLab's name)
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self):
            total = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                self._foot(total)
                super().showPage()
            super().save()

        def _foot(self, total):
            self.saveState()
            top = MARGIN + FOOTER_HEIGHT - 6 * mm
            self.setStrokeColor(LINE)
            self.setLineWidth(0.5)
            self.line(MARGIN, top + 3 * mm, PAGE_WIDTH - MARGIN, top + 3 * mm)
            _draw_qr(self, imprint.verify_url, PAGE_WIDTH - MARGIN - QR_SIZE, MARGIN, QR_SIZE)
            self.setFillColor(INK)
            self.setFont(bold, 10)
            self.drawString(MARGIN, top - 2 * mm, _("Verification code: %(code)s") % {"code": imprint.code})
            self.setFont(regular, 8.5)
            self.setFillColor(QUIET)
            lines = [
                _("Issued by %(issuer)s through %(platform)s")
                % {"issuer": imprint.issuer, "platform": imprint.platform},
                _("Check this document at %(url)s or scan the code on the right.") % {"url": imprint.verify_url},
            ]
            for index, line in enumerate(lines):
                self.drawString(MARGIN, top - 8 * mm - index * 4.5 * mm, line)
            self.drawCentredString(
                (PAGE_WIDTH - QR_SIZE) / 2,
                MARGIN,
                _("Page %(page)s of %(total)s") % {"page": self._pageNumber, "total": total},
            )
            self.restoreState()

    return ImprintedCanvas


def render(document: Document, imprint: Imprint) -> bytes:
    """The PDF of ``document`` with ``imprint`` on every page: A4, the vendored font embedded, nothing else."""
    styles = _styles()
    regular, _bold = fonts_register()
    buffer = io.BytesIO()
    template = BaseDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN + FOOTER_HEIGHT,
        title=document.title,
        author=imprint.issuer,
        subject=document.title,
        creator=imprint.platform,
        lang="zh-CN",
        # The canvas's starting font is ours, so no standard (unembedded) font is ever named.
        initialFontName=regular,
        initialFontSize=10,
    )
    frame = Frame(MARGIN, MARGIN + FOOTER_HEIGHT, PAGE_WIDTH - 2 * MARGIN, PAGE_HEIGHT - 2 * MARGIN - FOOTER_HEIGHT)
    template.addPageTemplates([PageTemplate(id="page", frames=[frame])])
    template.build(_story(document, imprint, styles), canvasmaker=_canvas_class(imprint))
    return buffer.getvalue()
