"""The institution's documents on a phone (390 px): sign in to the portal, upload the business
licence, replace it (the old file stays listed under the new one), download it through the
scoped link, and have a renamed executable refused with its message, all in Chromium."""

import pytest

from luchen_care.accounts.models import Role, User
from luchen_care.files.models import StoredFile
from tests.factories import InstitutionFactory
from tests.files.samples import ELF, image_bytes, pdf_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]  # streets stay
PHONE = {"width": 390, "height": 844}
PASSWORD = "Portal-journey-2026!"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def fits(page):
    """Nothing wider than the phone's screen: no sideways scrolling."""
    return page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_an_institution_keeps_its_documents_from_a_phone(visit, tmp_path):
    institution = InstitutionFactory(name="鹿城手机托育园")
    User.objects.create_user(username="shouji", password=PASSWORD, role=Role.INSTITUTION, institution=institution)
    licence = tmp_path / "营业执照.pdf"
    licence.write_bytes(pdf_bytes("JOURNEY"))
    renewed = tmp_path / "营业执照（换发）.png"
    renewed.write_bytes(image_bytes("PNG", (300, 200)))
    fake = tmp_path / "病毒.pdf"
    fake.write_bytes(ELF)
    page = visit.page
    page.set_viewport_size(PHONE)

    visit.goto("/portal/login/")
    page.fill("#id_username", "shouji")
    page.fill("#id_password", PASSWORD)
    page.click(".card form button[type=submit]")
    page.wait_for_url("**/portal/")
    page.click("nav.portal-nav a[href='/portal/documents/']")
    page.wait_for_url("**/portal/documents/")
    assert fits(page)

    # A renamed executable is refused with its reason, and nothing is kept.
    page.select_option("#id_purpose", "registry.business_licence")
    page.set_input_files("#id_file", str(fake))
    page.click("section[aria-labelledby=upload-document] button[type=submit]")
    page.wait_for_selector(".errorlist")
    assert "ELF" in page.inner_text(".errorlist") and not StoredFile.objects.exists()
    visit.shot("documents-refused-phone")

    # The licence is uploaded and listed with its download link.
    page.select_option("#id_purpose", "registry.business_licence")
    page.set_input_files("#id_file", str(licence))
    page.click("section[aria-labelledby=upload-document] button[type=submit]")
    page.wait_for_selector("article.document")
    (first,) = StoredFile.objects.all()
    assert "营业执照.pdf" in page.inner_text(f"#document-{first.public_id}")

    # Downloading it through the link gives back the same file.
    with page.expect_download() as info:
        page.click(f"#document-{first.public_id} a[href='/files/{first.public_id}/']")
    download = info.value
    assert download.suggested_filename == "营业执照.pdf"
    assert open(download.path(), "rb").read() == licence.read_bytes()

    # Replaced: the new file is current, the old one is listed under it and still downloads.
    page.click(f"#document-{first.public_id} summary")
    page.set_input_files(f"#replace-{first.public_id}", str(renewed))
    page.click(f"#document-{first.public_id} form button[type=submit]")
    page.wait_for_selector("ul.earlier")
    first.refresh_from_db()
    current = first.superseded_by
    card = page.inner_text(f"#document-{current.public_id}")
    assert card.index("营业执照（换发）.png") < card.index("营业执照.pdf")
    assert fits(page)
    visit.shot("documents-phone")
    with page.expect_download() as info:
        page.click(f"ul.earlier a[href='/files/{first.public_id}/']")
    assert open(info.value.path(), "rb").read() == licence.read_bytes()
