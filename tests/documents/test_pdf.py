"""The PDF a reader gets: its fonts embedded, its Chinese text extractable, and its glyphs drawn on a
machine that has no font at all (poppler's own tools, as a reader's viewer would)."""

import hashlib
import subprocess

import pytest
import qrcode
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from luchen_care.documents import layout
from luchen_care.documents.fonts import REGULAR, fonts_register, missing_characters
from luchen_care.documents.layout import Document
from luchen_care.documents.models import PUBLIC_FIELDS, IssuedDocument
from luchen_care.documents.services import DocumentKind, document_issue, verification_url
from luchen_care.regions.models import County

from .pdftools import empty_fontconfig, fonts_of, glyph_crops, ink, render, text_of, words_of

pytestmark = pytest.mark.django_db

SAMPLE = DocumentKind("tests.sample_notice", "测试通知书")
# Distinct characters, one a word, so pdftotext locates each of them on the page.
SPACED = "鹿 城 托 育 登 记 回 执 温 州 卫 生 健 康 局 备 案 审 批"


def flat(text):
    """``text`` without white space: pdftotext drops or adds spaces between Chinese characters."""
    return "".join(text.split())


@pytest.fixture
def county():
    return County.objects.get(code="330302")


def sample_document(rows=3):
    document = Document(title="托育机构整改通知书")
    document.paragraph(SPACED)
    document.fields([("机构名称", "鹿城区<小太阳>&托育园"), ("统一社会信用代码", "91330302MA2XXXXXX1")])
    document.heading("整改事项")
    items = [[str(n), f"第{n}项：消防通道保持畅通", "十五个工作日"] for n in range(1, rows + 1)]
    document.table(["序号", "事项", "期限"], items, widths=[0.15, 0.6, 0.25])
    document.note("本通知书一式两份。")
    return document


def issue(county, user=None, rows=3, **kwargs):
    return document_issue(
        actor=user,
        kind=SAMPLE,
        county=county,
        subject=county,
        document=sample_document(rows),
        number=kwargs.pop("number", "鹿卫整改〔2026〕1号"),
        institution=kwargs.pop("institution", "鹿城区小太阳托育园"),
        **kwargs,
    )


@pytest.fixture
def pdf(tmp_path, county):
    issued = issue(county)
    path = tmp_path / "notice.pdf"
    path.write_bytes(bytes(issued.content))
    return path, issued


def test_every_font_of_a_document_is_embedded_and_is_the_vendored_one(pdf):
    path, _issued = pdf
    fonts = fonts_of(path)
    assert fonts, "pdffonts lists no font"
    assert all(font["embedded"] and font["subset"] for font in fonts), fonts
    # Only the vendored Noto Sans SC subset (regular and bold), never a standard font such as Helvetica.
    assert {font["name"].split("+", 1)[1] for font in fonts} == {"NotoSansSC-Regular", "NotoSansSC-Bold"}
    info = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True, text=True).stdout
    assert "(A4)" in info


def test_pdftotext_gives_back_the_chinese_text(pdf):
    path, issued = pdf
    text = flat(text_of(path))
    for expected in (
        "温州市鹿城区卫生健康局",
        "托育机构整改通知书",
        "鹿卫整改〔2026〕1号",
        "鹿城区<小太阳>&托育园",  # escaped for the layout, printed as typed
        "第1项：消防通道保持畅通",
        f"核验码：{issued.display_code}",
        verification_url(issued.code),
        "第 1 页 共 1 页",
    ):
        assert flat(expected) in text, expected


def test_every_page_carries_the_code_the_issuer_the_url_and_its_number(tmp_path, county):
    issued = issue(county, rows=60)
    path = tmp_path / "long.pdf"
    path.write_bytes(bytes(issued.content))
    pages = [flat(page) for page in text_of(path).split("\f")[:-1]]
    assert len(pages) >= 3
    for number, page in enumerate(pages, start=1):
        assert f"核验码：{issued.display_code}" in page
        assert "签发机关：温州市鹿城区卫生健康局" in page
        assert verification_url(issued.code) in page
        assert f"第{number}页共{len(pages)}页" in page


def test_the_qr_code_on_the_page_is_the_verification_url(pdf):
    """Module by module, the squares drawn at the page's foot are the QR code of the verification URL."""
    path, issued = pdf
    dpi = 300
    image, _stderr = render(path, dpi=dpi)
    expected = qrcode.QRCode(border=0, error_correction=qrcode.constants.ERROR_CORRECT_M)
    expected.add_data(verification_url(issued.code))
    expected.make(fit=True)
    matrix = expected.get_matrix()
    scale = dpi / 72
    left = (layout.PAGE_WIDTH - layout.MARGIN - layout.QR_SIZE) * scale
    top = (layout.PAGE_HEIGHT - layout.MARGIN - layout.QR_SIZE) * scale
    cell = layout.QR_SIZE * scale / len(matrix)
    size = len(matrix)

    def dark(row, column):
        return image.getpixel((int(left + (column + 0.5) * cell), int(top + (row + 0.5) * cell))) < 128

    drawn = [[dark(row, column) for column in range(size)] for row in range(size)]
    assert drawn == matrix


def glyph_problems(path, env):
    """What is wrong with the spaced line's glyphs as pdftoppm draws them in ``env``: [] when each
    character has ink and no two characters are the same bitmap."""
    image, stderr = render(path, env=env)
    words = [word for word in words_of(path) if word[0] in SPACED]
    crops = glyph_crops(image, words)
    problems = []
    if "Couldn't find a font" in stderr:
        problems.append(stderr.strip())
    characters = SPACED.replace(" ", "")
    if sorted(crops) != sorted(characters):
        problems.append(f"located {sorted(crops)}")
    blank = [ch for ch, crop in crops.items() if crop.count(0) < 15]
    if blank:
        problems.append(f"no ink for {''.join(blank)}")
    if len(set(crops.values())) != len(crops):
        problems.append("several characters are drawn as the same bitmap (boxes)")
    return problems


def test_rendered_on_a_machine_without_fonts_the_chinese_glyphs_are_drawn(pdf, tmp_path):
    path, _issued = pdf
    env = empty_fontconfig(tmp_path)
    listed = subprocess.run(["fc-list"], env=env, check=True, capture_output=True, text=True).stdout
    assert listed.strip() == "", "the empty fontconfig still lists fonts"

    assert glyph_problems(path, env) == []
    # And the whole page is exactly what a machine with CJK fonts draws: nothing came from them.
    bare, _ = render(path, env=env)
    furnished, _ = render(path)
    assert bare.tobytes() == furnished.tobytes()
    assert ink(bare) > 10_000


def test_the_glyph_check_catches_a_font_that_is_not_embedded(tmp_path):
    """The control: the same line in a CID font the PDF only names (STSong-Light, not embedded) fails the
    check on the machine without fonts, so a passing check means the glyphs are really there."""
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    path = tmp_path / "unembedded.pdf"
    sheet = canvas.Canvas(str(path), initialFontName="STSong-Light")
    sheet.setFont("STSong-Light", 11)
    sheet.drawString(84, 680, SPACED)
    sheet.save()
    assert [font["embedded"] for font in fonts_of(path)] == [False]
    assert glyph_problems(path, empty_fontconfig(tmp_path)) != []


def test_the_row_records_the_file_its_hash_its_county_and_its_public_summary(pdf, county, health_user):
    _path, issued = pdf
    stored = IssuedDocument.objects.get(pk=issued.pk)
    content = bytes(stored.content)
    assert content.startswith(b"%PDF-")
    assert stored.sha256 == hashlib.sha256(content).hexdigest() and stored.size == len(content)
    assert stored.county == county and stored.issuer == "温州市鹿城区卫生健康局"
    assert stored.subject == county and stored.kind == SAMPLE.key
    assert sorted(stored.public_summary) == sorted(PUBLIC_FIELDS)
    assert stored.public_summary == {
        "kind": "测试通知书",
        "title": "托育机构整改通知书",
        "number": "鹿卫整改〔2026〕1号",
        "issuer": "温州市鹿城区卫生健康局",
        "issued_on": stored.public_summary["issued_on"],
        "institution": "鹿城区小太阳托育园",
    }
    assert stored.public_summary["issued_on"].endswith("日")

    by_user = issue(county, user=health_user)
    history = by_user.history.get()
    assert history.history_user == health_user and history.sha256 == by_user.sha256
    assert not hasattr(history, "content")  # the file stays out of the history table


def test_the_county_record_names_the_issuer(tmp_path, county):
    county.issuer = "温州市鹿城区卫生健康局（测试签发）"
    county.save()
    issued = issue(county)
    path = tmp_path / "branded.pdf"
    path.write_bytes(bytes(issued.content))
    assert "温州市鹿城区卫生健康局（测试签发）" in text_of(path)
    assert issued.public_summary["issuer"] == "温州市鹿城区卫生健康局（测试签发）"


def test_the_font_covers_gb2312_and_every_place_name_and_says_what_it_lacks():
    fonts_register()
    covered = pdfmetrics.getFont(REGULAR).face.charToGlyph
    gb2312 = []
    for row in range(0xB0, 0xF8):
        for cell in range(0xA1, 0xFF):
            try:
                gb2312.append(bytes([row, cell]).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    assert len(gb2312) == 6763
    assert [ch for ch in gb2312 if ord(ch) not in covered] == []
    assert missing_characters("温州市鹿城区五马街道垟儿路、峃口镇，（全角）ＡＢＣ１２３") == set()
    assert missing_characters("鹿城龘") == {"龘"}
