"""The institution's filing pages in the portal (/portal/filings/), through the test client as a
phone's browser would use them: open, fill every section and upload its materials, submit, follow
the review, download the documents; the refusals on the page; scope (404) for everyone else."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from luchen_care.core.workbench import Audience, workbench_entries
from luchen_care.documents.models import IssuedDocument
from luchen_care.files.models import StoredFile
from registry.models import Filing, FilingStatus, InstitutionStatus, SectionKey, SectionStatus
from registry.models.filings import MATERIALS_OF
from registry.services import filings as services
from tests.accounts.factories import UserFactory
from tests.files.samples import ELF, pdf_bytes, upload
from tests.registry.factories import InstitutionFactory
from tests.registry.filing_factories import institution_user, section_input, submitted_filing

pytestmark = pytest.mark.django_db


@pytest.fixture
def registered():
    return InstitutionFactory(status=InstitutionStatus.REGISTERED)


@pytest.fixture
def filer(registered):
    return institution_user(registered)


@pytest.fixture
def browser(client, filer):
    client.force_login(filer)
    return client


def _open(browser):
    response = browser.post(reverse("registry_portal:filings"), {"kind": "initial"})
    assert response.status_code == 302
    return Filing.objects.get(pk=int(response["Location"].rstrip("/").rsplit("/", 1)[1]))


def _upload_materials(browser, filing, key):
    for purpose, required in MATERIALS_OF[SectionKey(key)]:
        if required:
            url = reverse("registry_portal:filing-material", args=[filing.pk, key])
            response = browser.post(url, {"purpose": purpose, "file": upload(f"{key}.pdf", pdf_bytes(key))})
            assert response.status_code == 302, response.content.decode()[:2000]


def _fill_everything(browser, filing):
    for section in filing.sections.all():
        _upload_materials(browser, filing, section.key)
        url = reverse("registry_portal:filing-section", args=[filing.pk, section.key])
        response = browser.post(url, {**section_input(section.key), "complete": "1"})
        assert response.status_code == 302, (section.key, response.content.decode()[:3000])
        assert response["Location"] == f"{reverse('registry_portal:filing', args=[filing.pk])}?saved={section.key}"


def test_the_whole_journey_open_fill_upload_submit_and_follow_the_review(browser, filer, registered, health_user):
    page = browser.get(reverse("registry_portal:filings"))
    assert page.status_code == 200
    assert b'name="kind" value="initial"' in page.content
    assert reverse("registry_portal:filings").encode() in browser.get(reverse("portal:home")).content  # the menu

    filing = _open(browser)
    assert filing.institution == registered and filing.status == FilingStatus.DRAFT
    overview = browser.get(reverse("registry_portal:filing", args=[filing.pk]))
    assert overview.status_code == 200
    for section in filing.sections.all():
        assert reverse("registry_portal:filing-section", args=[filing.pk, section.key]).encode() in overview.content
    # The filings page no longer offers to start another while this one is open.
    assert b'name="kind"' not in browser.get(reverse("registry_portal:filings")).content
    [entry] = [e for e in workbench_entries(filer, audience=Audience.PORTAL) if e.key == "registry.filing_awaiting_you"]
    assert entry.count == 1 and not entry.urgent

    form = browser.get(reverse("registry_portal:filing-section", args=[filing.pk, "premises"]))
    assert b'data-autosave="filing-%d-premises"' % filing.pk in form.content
    _fill_everything(browser, filing)
    saved = browser.get(f"{reverse('registry_portal:filing', args=[filing.pk])}?saved=commitment")
    assert b'data-autosave-clear="filing-%d-commitment"' % filing.pk in saved.content
    assert {s.status for s in filing.sections.all()} == {SectionStatus.COMPLETE}
    assert filing.sections.get(key="premises").data["lease_end"] == section_input("premises")["lease_end"]
    assert StoredFile.objects.filter(purpose="filing.hygiene_report").count() == 1

    response = browser.post(reverse("registry_portal:filing-submit", args=[filing.pk]))
    assert response.status_code == 302
    filing.refresh_from_db()
    assert filing.status == FilingStatus.SUBMITTED and filing.receipt_deadline
    overview = browser.get(reverse("registry_portal:filing", args=[filing.pk]))
    assert filing.receipt_deadline.isoformat().encode() in overview.content
    assert filing.notice_deadline.isoformat().encode() in overview.content
    assert str(FilingStatus.SUBMITTED.label).encode() in overview.content or b"Submitted" in overview.content
    # With the bureau: the sections are read-only, and a POST changes nothing.
    section_page = browser.get(reverse("registry_portal:filing-section", args=[filing.pk, "basic"]))
    assert b"data-autosave=" not in section_page.content and b"disabled" in section_page.content
    refused = browser.post(
        reverse("registry_portal:filing-section", args=[filing.pk, "basic"]),
        {**section_input("basic", contact_person="改过的人"), "complete": "1"},
    )
    assert refused.status_code == 400
    assert filing.sections.get(key="basic").data["contact_person"] == "李老师"

    # The bureau returns one section: the institution sees the comment, fixes it and submits again.
    services.filing_review_start(filing=filing, actor=health_user)
    services.filing_return(filing=filing, actor=health_user, comments={"premises": "租赁合同缺少盖章页"})
    [entry] = [e for e in workbench_entries(filer, audience=Audience.PORTAL) if e.key == "registry.filing_awaiting_you"]
    assert entry.urgent
    overview = browser.get(reverse("registry_portal:filing", args=[filing.pk]))
    assert "租赁合同缺少盖章页".encode() in overview.content
    assert health_user.username.encode() not in overview.content  # the bureau's staff are not named
    [notice] = overview.context["documents"]
    download = browser.get(reverse("registry_portal:filing-document", args=[filing.pk, notice.pk]))
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert download.content.startswith(b"%PDF") and download.content == bytes(notice.content)
    assert download["Content-Disposition"].startswith("attachment")
    assert download["Cache-Control"] == "no-store"

    url = reverse("registry_portal:filing-section", args=[filing.pk, "premises"])
    assert browser.post(url, {**section_input("premises"), "complete": "1"}).status_code == 302
    # An accepted section is read-only.
    assert (
        b"data-autosave="
        not in browser.get(reverse("registry_portal:filing-section", args=[filing.pk, "basic"])).content
    )
    assert browser.post(reverse("registry_portal:filing-submit", args=[filing.pk])).status_code == 302
    filing.refresh_from_db()
    assert filing.status == FilingStatus.RESUBMITTED

    services.filing_review_start(filing=filing, actor=health_user)
    services.filing_approve(filing=filing, actor=health_user)
    filing.refresh_from_db()
    overview = browser.get(reverse("registry_portal:filing", args=[filing.pk]))
    assert filing.number.encode() in overview.content
    receipt = IssuedDocument.objects.get(subject_id=filing.pk, kind="registry.filing_receipt")
    download = browser.get(reverse("registry_portal:filing-document", args=[filing.pk, receipt.pk]))
    assert download.status_code == 200 and download.content.startswith(b"%PDF")
    # Filed: the filings page offers the change and closure filings.
    page = browser.get(reverse("registry_portal:filings"))
    assert b'name="kind" value="change"' in page.content and b'name="kind" value="closure"' in page.content
    assert b'name="kind" value="initial"' not in page.content


def test_a_draft_keeps_what_was_typed_even_when_it_does_not_validate(browser):
    filing = _open(browser)
    url = reverse("registry_portal:filing-section", args=[filing.pk, "staff"])
    response = browser.post(url, {"total": "12", "caregivers": "abc", "draft": "1"})
    assert response.status_code == 302
    section = filing.sections.get(key="staff")
    assert section.status == SectionStatus.DRAFT
    assert section.data["total"] == 12 and section.data["caregivers"] == "abc"
    page = browser.get(url)
    assert b'value="abc"' in page.content


def test_submitting_an_incomplete_filing_is_refused_on_the_page_and_changes_nothing(browser):
    filing = _open(browser)
    _upload_materials(browser, filing, "basic")
    url = reverse("registry_portal:filing-section", args=[filing.pk, "basic"])
    assert browser.post(url, {**section_input("basic"), "complete": "1"}).status_code == 302
    before = list(Filing.objects.filter(pk=filing.pk).values())
    response = browser.post(reverse("registry_portal:filing-submit", args=[filing.pk]))
    assert response.status_code == 400
    with translation.override("zh-hans"):
        missing = services.filing_missing(filing)
    assert len(missing) == 7  # every section but the basic information
    body = response.content.decode()
    assert all(line in body for line in missing)
    assert response.context["errors"][1:] == missing  # the service's refusal, each missing section named
    assert list(Filing.objects.filter(pk=filing.pk).values()) == before
    assert filing.transitions.count() == 1


def test_a_lease_shorter_than_three_years_is_refused_on_the_page(browser):
    filing = _open(browser)
    _upload_materials(browser, filing, "premises")
    today = timezone.localdate()
    short = section_input(
        "premises",
        lease_start=today.isoformat(),
        lease_end=(today + datetime.timedelta(days=2 * 365)).isoformat(),
    )
    url = reverse("registry_portal:filing-section", args=[filing.pk, "premises"])
    response = browser.post(url, {**short, "complete": "1"})
    assert response.status_code == 400
    [error] = response.context["form"].errors.as_data()["lease_end"]
    assert error.code == "lease_too_short"
    body = response.content.decode()
    assert str(error.message % error.params) in body
    # Shown next to its field, with what was typed kept.
    assert body.index('id="id_lease_end"') < body.index(str(error.message % error.params))
    assert f'value="{short["lease_end"]}"' in body
    section = filing.sections.get(key="premises")
    assert section.status == SectionStatus.DRAFT and section.data == {}  # the upload made it a draft; no data


def test_a_file_that_is_not_a_pdf_jpeg_or_png_is_refused_with_the_reason_and_nothing_stored(browser):
    filing = _open(browser)
    url = reverse("registry_portal:filing-material", args=[filing.pk, "basic"])
    before = StoredFile.objects.count()
    response = browser.post(url, {"purpose": "filing.licence", "file": upload("营业执照.pdf", ELF)})
    assert response.status_code == 400
    [error] = response.context["materials"][0]["form"].errors.as_data()["file"]
    assert error.code == "unsupported_type"
    assert "营业执照.pdf" in response.content.decode()
    assert StoredFile.objects.count() == before
    # A purpose the section does not take is refused too.
    response = browser.post(url, {"purpose": "filing.fee_notice", "file": upload("a.pdf", pdf_bytes())})
    assert response.status_code == 400 and StoredFile.objects.count() == before


def test_withdrawing_asks_first(browser):
    filing = _open(browser)
    url = reverse("registry_portal:filing-withdraw", args=[filing.pk])
    assert browser.get(url).status_code == 200
    assert browser.post(url, {}).status_code == 200  # no confirmation: only the question again
    filing.refresh_from_db()
    assert filing.status == FilingStatus.DRAFT
    assert browser.post(url, {"confirm": "1", "comment": "重新准备材料"}).status_code == 302
    filing.refresh_from_db()
    assert filing.status == FilingStatus.WITHDRAWN
    assert filing.transitions.last().comment == "重新准备材料"
    # Withdrawn: a new filing may be started.
    assert b'name="kind" value="initial"' in browser.get(reverse("registry_portal:filings")).content


def test_another_institutions_filing_section_and_document_are_404(browser, client, health_user):
    other = InstitutionFactory(status=InstitutionStatus.REGISTERED)
    other_user = institution_user(other)
    theirs = submitted_filing(other, other_user)
    services.filing_review_start(filing=theirs, actor=health_user)
    services.filing_return(filing=theirs, actor=health_user, comments={"fees": "请补充收费项目"})
    document = IssuedDocument.objects.get(subject_id=theirs.pk, kind="registry.filing_return_notice")
    mine = _open(browser)
    my_document_url = reverse("registry_portal:filing-document", args=[mine.pk, document.pk])
    urls = [
        reverse("registry_portal:filing", args=[theirs.pk]),
        reverse("registry_portal:filing-section", args=[theirs.pk, "basic"]),
        reverse("registry_portal:filing-withdraw", args=[theirs.pk]),
        reverse("registry_portal:filing-document", args=[theirs.pk, document.pk]),
        my_document_url,  # their document under my filing
        reverse("registry_portal:filing-section", args=[mine.pk, "nonsense"]),
    ]
    for url in urls:
        response = browser.get(url)
        assert response.status_code == 404, url
        assert other.name not in response.content.decode()
    before = list(Filing.objects.filter(pk=theirs.pk).values())
    for url in (
        reverse("registry_portal:filing-submit", args=[theirs.pk]),
        reverse("registry_portal:filing-withdraw", args=[theirs.pk]),
        reverse("registry_portal:filing-section", args=[theirs.pk, "fees"]),
    ):
        assert browser.post(url, {"confirm": "1", **section_input("fees"), "complete": "1"}).status_code == 404
    url = reverse("registry_portal:filing-material", args=[theirs.pk, "fees"])
    files = StoredFile.objects.count()
    assert browser.post(url, {"purpose": "filing.fee_notice", "file": upload("a.pdf", pdf_bytes())}).status_code == 404
    assert list(Filing.objects.filter(pk=theirs.pk).values()) == before and StoredFile.objects.count() == files
    assert theirs.pk not in [f.pk for f in browser.get(reverse("registry_portal:filings")).context["rows"]]


def test_bureau_staff_get_404_on_the_portals_filing_pages(client, registered, filer, health_user):
    filing = submitted_filing(registered, filer)
    staff = UserFactory(role="health_bureau", is_superuser=True)
    for user in (health_user, staff):
        client.force_login(user)
        for url in (
            reverse("registry_portal:filings"),
            reverse("registry_portal:filing", args=[filing.pk]),
            reverse("registry_portal:filing-section", args=[filing.pk, "basic"]),
        ):
            assert client.get(url).status_code == 404
        assert (
            client.post(reverse("registry_portal:filing-withdraw", args=[filing.pk]), {"confirm": "1"}).status_code
            == 404
        )
    filing.refresh_from_db()
    assert filing.status == FilingStatus.SUBMITTED


def test_signed_out_the_pages_ask_to_sign_in(client, registered, filer):
    filing = services.filing_open(institution=registered, actor=filer)
    response = client.get(reverse("registry_portal:filing", args=[filing.pk]))
    assert response.status_code == 302 and response["Location"].startswith(reverse("portal:login"))


def test_a_filed_institution_chooses_the_sections_its_change_filing_reopens(browser, registered, filer, health_user):
    from tests.registry.filing_factories import filed_filing

    filed_filing(registered, filer, health_user)
    page = browser.get(reverse("registry_portal:filings"))
    assert 'name="reopen" value="fees"' in page.content.decode()
    refused = browser.post(reverse("registry_portal:filings"), {"kind": "change"})
    assert refused.status_code == 400 and Filing.objects.filter(institution=registered).count() == 1
    opened = browser.post(reverse("registry_portal:filings"), {"kind": "change", "reopen": ["fees", "staff"]})
    change = Filing.objects.get(institution=registered, kind="change")
    assert opened.status_code == 302
    statuses = dict(change.sections.values_list("key", "status"))
    assert statuses["fees"] == statuses["staff"] == SectionStatus.DRAFT
    assert statuses["premises"] == SectionStatus.ACCEPTED


def test_withdrawing_a_decided_filing_is_not_offered(browser, registered, filer, health_user):
    from tests.registry.filing_factories import filed_filing

    filing = filed_filing(registered, filer, health_user)
    page = browser.get(reverse("registry_portal:filing-withdraw", args=[filing.pk]), follow=True)
    assert page.redirect_chain and "不能撤回" in page.content.decode()
