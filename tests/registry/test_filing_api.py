"""Filings through the API (/api/v1/filings/): reading them in scope, and filing as the portal does.

Institution users authenticate with a token of their own (the password exchange issues one to any
account; ``tests.accounts.factories.api_token`` issues it here); API clients file only with
``grant_filing``.
"""

import datetime

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from rest_framework.test import APIClient

from luchen_care.accounts.models import Role
from luchen_care.documents.models import IssuedDocument
from luchen_care.files.models import StoredFile
from registry.forms.filings import PremisesSectionForm
from registry.models import (
    Filing,
    FilingSection,
    FilingStatus,
    FilingTransition,
    InstitutionStatus,
    SectionKey,
)
from registry.models.filings import MATERIALS_OF
from registry.services import filings as services
from tests.accounts.factories import UserFactory, api_token
from tests.files.samples import ELF, pdf_bytes, upload
from tests.registry.factories import InstitutionFactory, street
from tests.registry.filing_factories import complete_filing, institution_user, section_input, submitted_filing

pytestmark = pytest.mark.django_db

LIST = "/api/v1/filings/"
WUMA, QIDU = "330302006", "330302023"


def detail(filing):
    return f"{LIST}{filing.pk}/"


def token_client(user, language="zh-hans"):
    client = APIClient(headers={"accept-language": language})
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(user)}")
    return client


def assert_error(response, status, code):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["code"] == code and body["error"]["message"]
    return body["error"]


@pytest.fixture
def wuma_institution():
    return InstitutionFactory(name="五马贝乐托育", street=street(WUMA), status=InstitutionStatus.REGISTERED)


@pytest.fixture
def qidu_institution():
    return InstitutionFactory(name="七都小树苗托育", street=street(QIDU), status=InstitutionStatus.REGISTERED)


@pytest.fixture
def filer(wuma_institution):
    return institution_user(wuma_institution)


@pytest.fixture
def api(filer):
    return token_client(filer)


def snapshot(filing):
    """What a refused request must leave as it was: the filing, its sections, steps and files."""
    return (
        list(Filing.objects.filter(pk=filing.pk).values()),
        list(FilingSection.objects.filter(filing=filing).order_by("pk").values()),
        FilingTransition.objects.filter(filing=filing).count(),
        StoredFile.objects.count(),
    )


def upload_materials(api, filing, key):
    for purpose, required in MATERIALS_OF[SectionKey(key)]:
        if required:
            response = api.post(
                f"{detail(filing)}sections/{key}/materials/",
                {"purpose": purpose, "file": upload(f"{key}.pdf", pdf_bytes(f"API-{key}"))},
                format="multipart",
            )
            assert response.status_code == 201, response.content


# --- reading, in scope ---------------------------------------------------------------------------


def test_an_institution_user_lists_its_own_filings_and_gets_404_for_anothers(
    api, filer, wuma_institution, qidu_institution
):
    own = services.filing_open(institution=wuma_institution, actor=filer)
    other = services.filing_open(institution=qidu_institution, actor=institution_user(qidu_institution))

    rows = api.get(LIST).json()["results"]
    assert [row["id"] for row in rows] == [own.pk]
    row = rows[0]
    assert row["institution"] == {"id": wuma_institution.pk, "name": "五马贝乐托育"}
    assert row["status"] == "draft" and row["kind"] == "initial" and row["review_body"] == "health_bureau"
    assert row["deadlines"] == {"receipt": None, "notice": None, "provisional": False}
    assert [s["key"] for s in row["sections"]] == [
        "basic",
        "premises",
        "classes",
        "staff",
        "safety",
        "food",
        "fees",
        "commitment",
    ]
    assert row["sections"][0]["label"] == str(SectionKey.BASIC.label)

    for url in (detail(other), f"{detail(other)}submit/", f"{detail(other)}sections/basic/"):
        method = api.get if url == detail(other) else (api.put if "sections" in url else api.post)
        response = method(url, {"data": section_input("basic"), "complete": True}, format="json")
        error = assert_error(response, 404, "not_found")
        assert "七都小树苗托育" not in str(error)
    assert snapshot(other)[0][0]["status"] == FilingStatus.DRAFT


def test_a_street_office_sees_the_filings_of_its_street_only(wuma_user, wuma_institution, qidu_institution):
    own = services.filing_open(institution=wuma_institution, actor=institution_user(wuma_institution))
    other = services.filing_open(institution=qidu_institution, actor=institution_user(qidu_institution))
    client = token_client(wuma_user)

    assert [row["id"] for row in client.get(LIST).json()["results"]] == [own.pk]
    assert client.get(detail(own)).status_code == 200
    assert_error(client.get(detail(other)), 404, "not_found")
    # It reads; it does not file.
    assert_error(client.post(f"{detail(own)}submit/"), 403, "permission_denied")


def test_an_api_client_granted_filing_files_for_the_institutions_in_its_grant(wuma_institution, qidu_institution):
    client_user = UserFactory(role=Role.API_CLIENT, is_staff=False, grant_filing=True)
    client_user.scope_streets.set([street(QIDU)])
    client = token_client(client_user)

    opened = client.post(LIST, {"institution": qidu_institution.pk, "kind": "initial"}, format="json")
    assert opened.status_code == 201, opened.content
    filing = Filing.objects.get(pk=opened.json()["id"])
    assert filing.institution == qidu_institution and filing.transitions.get().actor == client_user
    assert [row["id"] for row in client.get(LIST).json()["results"]] == [filing.pk]

    # An institution outside its grant is no institution it files for.
    refused = client.post(LIST, {"institution": wuma_institution.pk}, format="json")
    error = assert_error(refused, 400, "invalid")
    assert set(error["fields"]) == {"institution"}
    assert not Filing.objects.filter(institution=wuma_institution).exists()


def test_an_api_client_without_grant_filing_is_refused_403_and_nothing_changes(qidu_institution):
    reader = UserFactory(role=Role.API_CLIENT, is_staff=False)
    filing = services.filing_open(institution=qidu_institution, actor=institution_user(qidu_institution))
    before = snapshot(filing)
    client = token_client(reader)

    assert client.get(detail(filing)).status_code == 200  # it reads the filing
    assert_error(client.post(LIST, {"institution": qidu_institution.pk}, format="json"), 403, "permission_denied")
    assert_error(
        client.put(f"{detail(filing)}sections/basic/", {"data": section_input("basic")}, format="json"),
        403,
        "permission_denied",
    )
    assert_error(client.post(f"{detail(filing)}submit/"), 403, "permission_denied")
    assert_error(client.post(f"{detail(filing)}withdraw/", {}, format="json"), 403, "permission_denied")
    assert snapshot(filing) == before


def test_only_api_clients_may_be_granted_filing(wuma_institution):
    user = institution_user(wuma_institution)
    user.grant_filing = True
    with pytest.raises(ValidationError) as refused:
        user.full_clean()
    assert "grant_filing" in refused.value.message_dict


# --- filing through the API ------------------------------------------------------------------------


def test_the_whole_journey_through_the_api(api, filer, wuma_institution, health_user, client):
    opened = api.post(LIST, {"institution": wuma_institution.pk, "kind": "initial"}, format="json")
    assert opened.status_code == 201, opened.content
    filing = Filing.objects.get(pk=opened.json()["id"])
    assert {s["status"] for s in opened.json()["sections"]} == {"not_started"}

    for key in [s["key"] for s in opened.json()["sections"]]:
        upload_materials(api, filing, key)
        data = section_input(key)
        if key in (SectionKey.STAFF, SectionKey.SAFETY, SectionKey.FOOD):
            # JSON's true/false go where the portal's radios post "True"/"False".
            data = {k: (v == "True" if v in ("True", "False") else v) for k, v in data.items()}
        if key == SectionKey.COMMITMENT:
            data["agreed"] = True
        response = api.put(f"{detail(filing)}sections/{key}/", {"data": data, "complete": True}, format="json")
        assert response.status_code == 200, (key, response.content)
        assert response.json()["status"] == "complete"

    basic = api.get(detail(filing)).json()["sections"][0]
    assert basic["data"]["contact_person"] == "李老师"  # the institution reads its own data in full
    (material,) = basic["materials"]
    stored = StoredFile.objects.get(sha256=material["sha256"])
    assert material["purpose"] == "filing.licence" and material["name"] == "basic.pdf"
    assert material["download_url"].endswith(reverse("files:download", args=[stored.public_id]))

    submitted = api.post(f"{detail(filing)}submit/")
    assert submitted.status_code == 200, submitted.content
    body = submitted.json()
    assert body["status"] == "submitted" and body["submitted_at"]
    assert body["deadlines"]["receipt"] > timezone.localdate().isoformat()
    assert body["deadlines"]["notice"] > body["deadlines"]["receipt"]

    # The bureau reviews and approves (not in the API); the API then shows the number and documents.
    services.filing_review_start(filing=filing, actor=health_user)
    services.filing_approve(filing=filing, actor=health_user)
    body = api.get(detail(filing)).json()
    assert body["status"] == "filed" and body["number"].startswith(f"{timezone.localdate().year}-330302-")
    kinds = {d["kind"] for d in body["documents"]}
    assert kinds == {"registry.filing_receipt", "registry.filing_basic_conditions"}
    receipt = next(d for d in body["documents"] if d["kind"] == "registry.filing_receipt")
    assert receipt["number"] == body["number"]
    assert "/verify/" in receipt["verification_url"]
    pdf = api.get(receipt["download_url"])
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF") and pdf["Content-Disposition"].startswith("attachment")
    # The material's link downloads the file for a signed-in user of the institution.
    client.force_login(filer)
    download = client.get(material["download_url"])
    assert download.status_code == 200 and b"".join(download.streaming_content).startswith(b"%PDF")


def test_submitting_an_incomplete_filing_is_refused_naming_what_is_missing(api, filer, wuma_institution):
    filing = services.filing_open(institution=wuma_institution, actor=filer)
    before = snapshot(filing)

    error = assert_error(api.post(f"{detail(filing)}submit/"), 400, "invalid")
    assert set(error["fields"]) == {"sections"}
    assert error["message"].startswith("sections: ")
    named = " ".join(error["fields"]["sections"])
    assert str(SectionKey.PREMISES.label) in named and str(SectionKey.COMMITMENT.label) in named
    assert snapshot(filing) == before


def test_a_lease_shorter_than_three_years_is_refused_in_the_callers_language(filer, wuma_institution):
    filing = services.filing_open(institution=wuma_institution, actor=filer)
    upload_materials(token_client(filer), filing, "premises")
    before = snapshot(filing)
    start = timezone.localdate() - datetime.timedelta(days=10)
    data = section_input(
        "premises", lease_start=start.isoformat(), lease_end=start.replace(year=start.year + 2).isoformat()
    )

    messages = {}
    for language in ("en", "zh-hans"):
        response = token_client(filer, language).put(
            f"{detail(filing)}sections/premises/", {"data": data, "complete": True}, format="json"
        )
        error = assert_error(response, 400, "invalid")
        assert set(error["fields"]) == {"data"} and set(error["fields"]["data"]) == {"lease_end"}
        (messages[language],) = error["fields"]["data"]["lease_end"]
        assert error["message"] == f"data.lease_end: {messages[language]}"
        with translation.override(language):  # the section form's own words, in that language
            assert messages[language] == PremisesSectionForm(data=data).errors["lease_end"][0]
    assert "less than 3 years" in messages["en"]
    assert snapshot(filing) == before

    # A message the platform has in Chinese already: the answer follows the caller's language.
    english = token_client(filer, "en").put(f"{detail(filing)}sections/premises/", {"data": []}, format="json")
    chinese = token_client(filer).put(f"{detail(filing)}sections/premises/", {"data": []}, format="json")
    assert english.json()["error"]["fields"]["data"] != chinese.json()["error"]["fields"]["data"]


def test_a_file_that_is_not_a_pdf_is_refused_and_nothing_is_kept(api, filer, wuma_institution):
    filing = services.filing_open(institution=wuma_institution, actor=filer)
    before = snapshot(filing)

    response = api.post(
        f"{detail(filing)}sections/basic/materials/",
        {"purpose": "filing.licence", "file": upload("licence.pdf", ELF)},
        format="multipart",
    )
    error = assert_error(response, 400, "invalid")
    assert set(error["fields"]) == {"file"}
    wrong_purpose = api.post(
        f"{detail(filing)}sections/basic/materials/",
        {"purpose": "filing.food_licence", "file": upload("food.pdf", pdf_bytes())},
        format="multipart",
    )
    assert set(assert_error(wrong_purpose, 400, "invalid")["fields"]) == {"purpose"}
    as_json = api.post(f"{detail(filing)}sections/basic/materials/", {"purpose": "filing.licence"}, format="json")
    assert "multipart/form-data" in assert_error(as_json, 415, "unsupported_media_type")["message"]
    assert snapshot(filing) == before


def test_a_draft_keeps_what_was_sent_and_wrong_types_are_named(api, filer, wuma_institution):
    filing = services.filing_open(institution=wuma_institution, actor=filer)
    url = f"{detail(filing)}sections/basic/"

    draft = api.put(url, {"data": {"contact_person": "李老师"}, "complete": False}, format="json")
    assert draft.status_code == 200 and draft.json()["status"] == "draft"
    assert FilingSection.objects.get(filing=filing, key="basic").data["contact_person"] == "李老师"

    bad = api.put(url, {"data": {"contact_person": ["a", "b"]}, "complete": False}, format="json")
    assert set(assert_error(bad, 400, "invalid")["fields"]["data"]) == {"contact_person"}
    not_object = api.put(url, {"data": ["x"]}, format="json")
    assert set(assert_error(not_object, 400, "invalid")["fields"]) == {"data"}
    assert_error(api.put(f"{detail(filing)}sections/placement/", {"data": {}}, format="json"), 404, "not_found")


def test_a_submitted_filing_is_withdrawn_and_then_refuses_changes(api, filer, wuma_institution):
    filing = submitted_filing(wuma_institution, filer)
    response = api.post(f"{detail(filing)}withdraw/", {"comment": "重新准备"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "withdrawn"
    assert filing.transitions.latest("pk").comment == "重新准备"

    again = api.put(f"{detail(filing)}sections/basic/", {"data": section_input("basic")}, format="json")
    assert set(assert_error(again, 400, "invalid")["fields"]) == {"status"}


def test_the_list_filters_by_status_kind_and_receipt_deadline(api, filer, wuma_institution, health_user):
    branch = InstitutionFactory(street=street(QIDU), head_office=wuma_institution, status=InstitutionStatus.REGISTERED)
    draft = services.filing_open(institution=branch, actor=filer)
    submitted = submitted_filing(wuma_institution, filer)
    due = submitted.receipt_deadline.isoformat()

    def ids(**query):
        response = api.get(LIST, query)
        assert response.status_code == 200, response.content
        return {row["id"] for row in response.json()["results"]}

    assert ids() == {draft.pk, submitted.pk}
    assert ids(status="submitted") == {submitted.pk}
    assert ids(status="draft", kind="initial") == {draft.pk}
    assert ids(receipt_deadline_from=due, receipt_deadline_to=due) == {submitted.pk}
    assert ids(receipt_deadline_to=(submitted.receipt_deadline - datetime.timedelta(days=1)).isoformat()) == set()
    assert ids(review_body="education_bureau") == set()
    assert_error(api.get(LIST, {"status": "approved"}), 400, "invalid")


def test_a_document_of_another_filing_is_not_served_under_this_one(api, filer, wuma_institution, health_user):
    filing = services.filing_approve(
        filing=services.filing_review_start(filing=submitted_filing(wuma_institution, filer), actor=health_user),
        actor=health_user,
    )
    other_institution = InstitutionFactory(street=street(QIDU), status=InstitutionStatus.REGISTERED)
    other_user = institution_user(other_institution)
    other = services.filing_approve(
        filing=services.filing_review_start(filing=submitted_filing(other_institution, other_user), actor=health_user),
        actor=health_user,
    )
    theirs = IssuedDocument.objects.filter(
        subject_type=ContentType.objects.get_for_model(Filing), subject_id=other.pk
    ).first()
    assert_error(api.get(f"{detail(filing)}documents/{theirs.pk}/"), 404, "not_found")
    assert_error(api.get(f"{detail(other)}documents/{theirs.pk}/"), 404, "not_found")
    assert_error(api.get(f"{detail(filing)}documents/99999999999999999999999/"), 404, "not_found")


def test_the_lists_query_count_does_not_grow_with_the_filings(health_user):
    client = token_client(health_user)

    def queries():
        client.get(LIST)  # warm: the content types are cached after the first request
        with CaptureQueriesContext(connection) as captured:
            response = client.get(LIST)
        assert response.status_code == 200
        return len(captured), len(response.json()["results"])

    institution = InstitutionFactory(status=InstitutionStatus.REGISTERED)
    complete_filing(institution, institution_user(institution))
    few, shown = queries()
    for _ in range(4):
        institution = InstitutionFactory(status=InstitutionStatus.REGISTERED)
        complete_filing(institution, institution_user(institution))
    many, shown_many = queries()
    assert (shown, shown_many) == (1, 5)
    assert many == few


def test_a_document_is_sent_as_pdf_whatever_the_client_accepts(api, filer, wuma_institution, health_user):
    filing = services.filing_approve(
        filing=services.filing_review_start(filing=submitted_filing(wuma_institution, filer), actor=health_user),
        actor=health_user,
    )
    url = api.get(detail(filing)).json()["documents"][0]["download_url"]
    for accept in ("application/pdf", "application/json", "text/html"):
        response = api.get(url, headers={"accept": accept})
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf", accept
    unknown = IssuedDocument.objects.order_by("-pk").first().pk + 1
    missing = api.get(f"{detail(filing)}documents/{unknown}/", headers={"accept": "application/pdf"})
    assert_error(missing, 404, "not_found")


def test_the_user_admin_grants_filing_to_an_api_client(client):
    superuser = UserFactory(username="root", role="", is_superuser=True, county=None)
    account = UserFactory(role=Role.API_CLIENT, is_staff=False, county=None)
    client.force_login(superuser)
    page = client.get(reverse("admin:accounts_user_change", args=[account.pk]))
    assert page.status_code == 200 and 'name="grant_filing"' in page.content.decode()


def test_a_change_filing_through_the_api_reopens_the_sections_named(api, filer, wuma_institution, health_user):
    from tests.registry.filing_factories import filed_filing

    filed_filing(wuma_institution, filer, health_user)
    body = {"institution": wuma_institution.pk, "kind": "change", "reopen": ["fees"]}
    unknown = api.post("/api/v1/filings/", {**body, "reopen": ["nonsense"]}, format="json")
    assert "reopen" in assert_error(unknown, 400, "invalid")["fields"]
    opened = api.post("/api/v1/filings/", body, format="json")
    assert opened.status_code == 201, opened.content
    statuses = {section["key"]: section["status"] for section in opened.json()["sections"]}
    assert statuses["fees"] == "draft" and statuses["basic"] == "accepted"
    assert opened.json()["number"]  # the number is kept
