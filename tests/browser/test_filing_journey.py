"""The whole filing journey in Chromium: an institution on a phone (390 px) fills in every section,
uploads its materials and submits; the health bureau returns one section with a comment in the
admin; the institution fixes it and submits again; the bureau approves; the receipt PDF downloads
and its text (pdftotext) carries the filing number and the institution's name."""

import subprocess

import pytest

from luchen_care.accounts.models import Role, User
from registry.models import Filing, FilingStatus, InstitutionStatus, SectionKey
from registry.models.filings import MATERIALS_OF, SECTIONS_OF
from tests.files.samples import pdf_bytes
from tests.registry.factories import InstitutionFactory
from tests.registry.filing_factories import section_input

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
PHONE = {"width": 390, "height": 844}
PASSWORD = "Filing-journey-2026!"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def fits(page):
    """Nothing wider than the phone's screen: no sideways scrolling."""
    return page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def fill_form(page, key, **overrides):
    """Type a section's valid input into its form as a person would (radios checked, boxes ticked)."""
    for name, value in section_input(key, **overrides).items():
        field = page.locator(f"[name={name}]")
        kind = field.first.get_attribute("type")
        if kind == "radio":
            page.check(f"input[name={name}][value='{value}']")
        elif kind == "checkbox":
            page.check(f"input[name={name}]")
        elif field.first.evaluate("e => e.tagName") == "SELECT":
            page.select_option(f"select[name={name}]", value)
        else:
            page.fill(f"[name={name}]", value)


def upload_materials(page, key, tmp_path):
    for purpose, required in MATERIALS_OF[SectionKey(key)]:
        if not required:
            continue
        path = tmp_path / f"{key}-{purpose.rsplit('.', 1)[-1]}.pdf"
        path.write_bytes(pdf_bytes(f"{key.upper()}-MATERIAL"))
        article = page.locator(f"article.material#material-{purpose.replace('.', '')}")
        article.locator("input[type=file]").set_input_files(str(path))
        article.locator("button[type=submit]").click()
        page.wait_for_load_state()
        page.locator(f"article.material#material-{purpose.replace('.', '')} ul.files li").first.wait_for()


def complete_section(page, filing, key, tmp_path, **overrides):
    page.goto(page.url.split("/portal/")[0] + f"/portal/filings/{filing.pk}/sections/{key}/")
    upload_materials(page, key, tmp_path)
    fill_form(page, key, **overrides)
    page.click("button[name=complete]")
    page.wait_for_selector(f"#section-{key}")


@pytest.fixture
def bureau_visit(browser, live_server, shot_dir):
    """A second browser, the bureau's PC: its own context, so its session is not the institution's."""
    from tests.browser.conftest import Visit

    context = browser.new_context(locale="zh-CN", viewport={"width": 1400, "height": 900}, accept_downloads=True)
    context.set_default_timeout(15_000)
    try:
        yield Visit(context, live_server, shot_dir)
    finally:
        context.close()


def test_an_institution_files_from_a_phone_and_the_bureau_returns_then_approves(
    visit, bureau_visit, health_user, password, tmp_path
):
    institution = InstitutionFactory(name="鹿城手机备案托育园", status=InstitutionStatus.REGISTERED)
    User.objects.create_user(username="beian", password=PASSWORD, role=Role.INSTITUTION, institution=institution)
    page = visit.page
    page.set_viewport_size(PHONE)

    visit.goto("/portal/login/")
    page.fill("#id_username", "beian")
    page.fill("#id_password", PASSWORD)
    page.click(".card form button[type=submit]")
    page.wait_for_url("**/portal/")
    page.click("nav.portal-nav a[href='/portal/filings/']")
    page.click("button[name=kind][value=initial]")
    page.wait_for_selector("#section-basic")
    filing = Filing.objects.get(institution=institution)
    assert fits(page)
    visit.shot("filing-1-overview-phone")

    # Submitting too early is refused with what is missing, and nothing changes.
    page.click("form[action$='/submit/'] button[type=submit]")
    page.wait_for_selector("#filing-errors")
    assert "场地" in page.inner_text("#filing-errors")
    filing.refresh_from_db()
    assert filing.status == FilingStatus.DRAFT

    for key in SECTIONS_OF["initial"]:
        complete_section(page, filing, key, tmp_path)
        if key == SectionKey.PREMISES:
            assert fits(page)
    visit.shot("filing-2-complete-phone")
    page.click("form[action$='/submit/'] button[type=submit]")
    page.wait_for_selector(".deadlines")
    filing.refresh_from_db()
    assert filing.status == FilingStatus.SUBMITTED
    assert filing.receipt_deadline.isoformat() in page.inner_text(".deadlines")
    visit.shot("filing-3-submitted-phone")

    bureau_return(bureau_visit, health_user, password, filing)

    # The institution reads the comment, fixes the premises and submits again.
    page.goto(visit.base + f"/portal/filings/{filing.pk}/")
    assert "租赁合同缺少盖章页" in page.inner_text("#section-premises")
    complete_section(page, filing, SectionKey.PREMISES, tmp_path, floor_area="430")
    page.click("form[action$='/submit/'] button[type=submit]")
    page.wait_for_selector(".deadlines")
    filing.refresh_from_db()
    assert filing.status == FilingStatus.RESUBMITTED

    number = bureau_approve(bureau_visit, filing)

    # The receipt downloads in the portal; its text carries the number and the name.
    page.goto(visit.base + f"/portal/filings/{filing.pk}/")
    assert number in page.inner_text(".filing-number")
    visit.shot("filing-4-filed-phone")
    with page.expect_download() as download:
        page.locator("ul.documents a", has_text="托育机构备案回执").click()
    path = tmp_path / "receipt.pdf"
    download.value.save_as(str(path))
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True, text=True).stdout
    assert number in text and "鹿城手机备案托育园" in text
    institution.refresh_from_db()
    assert institution.status == InstitutionStatus.FILED


def take_step(visit, filing, step, **fields):
    """On the filing's admin page, press the step's button, fill its form and confirm."""
    bureau = visit.page
    bureau.goto(visit.base + f"/admin/registry/filing/{filing.pk}/change/")
    bureau.click(f"#filing-step-{step}")
    bureau.wait_for_selector("#filing-step-form")
    for name, value in fields.items():
        bureau.fill(f"#filing-step-form [name={name}]", value)
    bureau.click("#filing-step-form input[type=submit]")
    bureau.wait_for_selector("#filing-step-form", state="detached")


def bureau_return(visit, health_user, password, filing):
    """The health bureau finds the filing in its queue, takes it up and returns the premises section."""
    visit.login(health_user.username, password)
    bureau = visit.page
    bureau.goto(visit.base + "/admin/registry/filing/")
    row = bureau.locator("#result_list tbody tr", has_text="鹿城手机备案托育园")
    assert row.count() == 1
    assert filing.receipt_deadline.strftime("%Y") in row.inner_text()
    visit.shot("filing-5-queue")
    take_step(visit, filing, "start_review")
    take_step(visit, filing, "return", comment_premises="租赁合同缺少盖章页")
    filing.refresh_from_db()
    assert filing.status == FilingStatus.RETURNED
    assert filing.sections.get(key="premises").review_comment == "租赁合同缺少盖章页"


def bureau_approve(visit, filing):
    """The bureau takes up the resubmission and approves it; the number is on the filing's page."""
    bureau = visit.page
    take_step(visit, filing, "start_review")
    take_step(visit, filing, "approve")
    filing.refresh_from_db()
    assert filing.status == FilingStatus.FILED
    bureau.goto(visit.base + f"/admin/registry/filing/{filing.pk}/change/")
    assert filing.number in bureau.inner_text("#content")
    visit.shot("filing-6-filed-admin")
    return filing.number
