"""The access log of personal data: every face that shows a legal representative or a contact
phone unmasked writes one entry (who, when, from where, which records, through which face), and
nothing else does."""

import datetime
from io import BytesIO

import pytest
from django.core.files.base import ContentFile
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from rest_framework.test import APIClient

from luchen_care.accounts.models import Authority, Role
from luchen_care.audit.models import PersonalDataAccess
from luchen_care.audit.views import logged_download
from luchen_care.core.models import ImportJob
from luchen_care.regions.models import County
from registry.models import InstitutionKind
from tests.accounts.factories import api_token
from tests.factories import InstitutionFactory, RegistrationFactory, UserFactory, street

pytestmark = pytest.mark.django_db

WUMA, QIDU = "330302006", "330302023"
EXPORT = reverse("admin:registry_institution_export")


def token_client(user, **extra):
    client = APIClient(**extra)
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(user)}")
    return client


@pytest.fixture
def lucheng(db):
    return County.objects.get(code="330302")


@pytest.fixture
def wuma_institutions(db):
    return [
        InstitutionFactory(name="五马贝乐托育", legal_representative="陈一", contact_phone="13800000001"),
        InstitutionFactory(
            name="五马幼儿园托班", kind=InstitutionKind.NURSERY_CLASS, legal_representative="陈二", contact_phone=""
        ),
        InstitutionFactory(name="五马家庭托育点", kind=InstitutionKind.FAMILY, legal_representative="陈三"),
    ]


def test_an_export_by_a_street_office_is_logged_with_its_row_count_and_filter(
    admin_client_for, wuma_user, wuma_institutions, lucheng
):
    InstitutionFactory(name="七都托育中心", street=street(QIDU))  # not the street office's
    client = admin_client_for(wuma_user)

    response = client.get(EXPORT, {"kind__exact": "standalone", "q": "五马"}, REMOTE_ADDR="10.20.30.40")

    assert response.status_code == 200
    rows = list(load_workbook(BytesIO(response.content)).active.iter_rows(values_only=True))[1:]
    assert [row[0] for row in rows] == ["五马贝乐托育"]
    entry = PersonalDataAccess.objects.get()
    assert (entry.user, entry.username, entry.role) == (wuma_user, "wuma", Role.STREET_OFFICE)
    assert (entry.face, entry.action, entry.record_type) == ("export", "export", "registry.institution")
    assert entry.row_count == 1
    assert entry.query == {"kind__exact": "standalone", "q": "五马"}
    assert entry.record_ids == [wuma_institutions[0].pk] and entry.record_labels == ["五马贝乐托育"]
    assert entry.address == "10.20.30.40" and entry.path == EXPORT
    assert entry.county == lucheng
    assert timezone.now() - entry.at < datetime.timedelta(minutes=1)

    # The whole street's export: its three rows, no filter.
    client.get(EXPORT)
    latest = PersonalDataAccess.objects.latest("at")
    assert latest.row_count == 3 and latest.query == {}


def test_the_access_log_is_listed_for_the_bureau_with_the_export_and_its_row_count(
    admin_client_for, wuma_user, health_user, wuma_institutions
):
    admin_client_for(wuma_user).get(EXPORT, {"q": "五马"})
    client = admin_client_for(health_user)

    response = client.get(reverse("admin:audit_personaldataaccess_changelist"), {"face__exact": "export"})

    assert response.status_code == 200
    [entry] = response.context["cl"].result_list
    assert entry.username == "wuma" and entry.row_count == 3
    page = response.content.decode()
    assert "wuma" in page and timezone.localtime(entry.at).strftime("%Y-%m-%d %H:%M:%S") in page


def test_the_admin_change_page_of_an_institution_is_logged_with_the_record(admin_client_for, health_user, lucheng):
    institution = InstitutionFactory(name="五马贝乐托育", legal_representative="陈一")
    client = admin_client_for(health_user)

    response = client.get(reverse("admin:registry_institution_change", args=[institution.pk]))

    assert response.status_code == 200 and "陈一" in response.content.decode()
    entry = PersonalDataAccess.objects.get()
    assert (entry.face, entry.action, entry.user) == ("admin", "view", health_user)
    assert entry.record_ids == [institution.pk] and entry.record_labels == ["五马贝乐托育"]
    assert entry.county == lucheng and entry.row_count == 1


def test_the_changelist_and_the_add_page_show_no_personal_field_and_are_not_logged(admin_client_for, health_user):
    InstitutionFactory(legal_representative="陈一")
    client = admin_client_for(health_user)

    changelist = client.get(reverse("admin:registry_institution_changelist"))
    add = client.get(reverse("admin:registry_institution_add"))

    assert changelist.status_code == add.status_code == 200
    assert "陈一" not in changelist.content.decode()
    assert not PersonalDataAccess.objects.exists()


def test_an_out_of_scope_change_page_is_a_404_and_not_logged(admin_client_for, wuma_user):
    other = InstitutionFactory(street=street(QIDU))

    response = admin_client_for(wuma_user).get(reverse("admin:registry_institution_change", args=[other.pk]))

    assert response.status_code == 404
    assert not PersonalDataAccess.objects.exists()


def test_history_pages_are_logged(admin_client_for, health_user):
    institution = InstitutionFactory(legal_representative="陈一")
    institution.legal_representative = "陈二"
    institution.save()
    client = admin_client_for(health_user)
    version = institution.history.order_by("history_id").first()

    history = client.get(reverse("admin:registry_institution_history", args=[institution.pk]))
    version_page = client.get(
        reverse("admin:registry_institution_simple_history", args=[institution.pk, version.history_id])
    )

    assert history.status_code == version_page.status_code == 200
    entries = list(PersonalDataAccess.objects.order_by("at", "id"))
    assert [(e.face, e.action, e.record_ids) for e in entries] == [
        ("admin", "history", [institution.pk]),
        ("admin", "history", [institution.pk]),
    ]
    assert [e.path for e in entries] == [history.wsgi_request.path, version_page.wsgi_request.path]


def test_a_registrations_change_page_is_logged(admin_client_for, health_user, market_user):
    registration = RegistrationFactory(actor=market_user, authority=Authority.MARKET_REGULATION)

    response = admin_client_for(health_user).get(reverse("admin:registry_registration_change", args=[registration.pk]))

    assert response.status_code == 200 and "王晓燕" in response.content.decode()
    entry = PersonalDataAccess.objects.get()
    assert (entry.action, entry.record_type, entry.record_ids) == ("view", "registry.registration", [registration.pk])


def test_an_api_read_with_the_personal_grant_is_logged_and_one_without_is_not(wuma_institutions):
    granted = UserFactory(username="granted", role=Role.API_CLIENT, is_staff=False, scope_personal_data=True)
    masked = UserFactory(username="masked", role=Role.API_CLIENT, is_staff=False)
    detail = reverse("api:institution-detail", args=[wuma_institutions[0].pk])

    masked_client = token_client(masked)
    without = masked_client.get("/api/v1/institutions/", {"kind": "standalone"})
    without_detail = masked_client.get(detail)
    assert without.json()["results"][0]["legal_representative"] == "陈*"
    assert without_detail.json()["legal_representative"] == "陈*"
    assert not PersonalDataAccess.objects.exists()

    client = token_client(granted)
    listed = client.get("/api/v1/institutions/", {"kind": "standalone"})
    shown = client.get(detail)

    assert listed.json()["results"][0]["legal_representative"] == "陈一"
    assert shown.json()["contact_phone"] == "13800000001"
    page, record = PersonalDataAccess.objects.order_by("at", "id")
    assert (page.face, page.action, page.user, page.role) == ("api", "list", granted, Role.API_CLIENT)
    assert page.record_ids == [wuma_institutions[0].pk] and page.query == {"kind": "standalone"}
    assert page.county.code == "330302"  # the records' county: its bureau reads the entry
    assert (record.action, record.record_ids) == ("view", [wuma_institutions[0].pk])
    assert record.record_labels == ["五马贝乐托育"]


def test_an_api_write_answered_with_the_record_is_logged(health_user, wuma_institutions):
    institution = wuma_institutions[0]

    client = token_client(health_user)
    response = client.patch(
        reverse("api:institution-detail", args=[institution.pk]), {"address": "五马街道新址1号"}, format="json"
    )
    refused = client.patch(
        reverse("api:institution-detail", args=[institution.pk]), {"credit_code": "bad"}, format="json"
    )

    assert response.status_code == 200 and refused.status_code == 400
    entry = PersonalDataAccess.objects.get()  # the refused write answered no record
    assert (entry.action, entry.record_ids) == ("write", [institution.pk])


def test_an_api_read_of_registrations_is_logged(market_user):
    registration = RegistrationFactory(actor=market_user, authority=Authority.MARKET_REGULATION)

    response = token_client(market_user).get("/api/v1/registrations/")

    assert response.json()["results"][0]["data"]["legal_representative"] == "王晓燕"
    entry = PersonalDataAccess.objects.get()
    assert (entry.face, entry.action, entry.record_ids) == ("api", "list", [registration.pk])


def test_a_registrations_legal_representative_is_masked_for_an_api_client_without_the_grant(market_user):
    registration = RegistrationFactory(actor=market_user, authority=Authority.MARKET_REGULATION)
    masked = UserFactory(username="masked", role=Role.API_CLIENT, is_staff=False)
    granted = UserFactory(username="granted", role=Role.API_CLIENT, is_staff=False, scope_personal_data=True)
    detail = reverse("api:registration-detail", args=[registration.pk])

    without = token_client(masked).get("/api/v1/registrations/")
    without_detail = token_client(masked).get(detail)
    assert without.json()["results"][0]["data"]["legal_representative"] == "王**"
    assert without_detail.json()["data"]["legal_representative"] == "王**"
    assert without_detail.json()["data"]["institution_name"] == registration.data["institution_name"]
    assert not PersonalDataAccess.objects.exists()  # nothing personal was shown

    shown = token_client(granted).get(detail)
    assert shown.json()["data"]["legal_representative"] == "王晓燕"
    entry = PersonalDataAccess.objects.get()
    assert (entry.user, entry.action, entry.record_ids) == (granted, "view", [registration.pk])


def test_the_client_address_is_the_trusted_proxys_not_the_forged_header(settings, wuma_institutions):
    settings.TRUSTED_PROXY_COUNT = 1
    granted = UserFactory(role=Role.API_CLIENT, is_staff=False, scope_personal_data=True)

    token_client(granted, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9").get(
        "/api/v1/institutions/"
    )

    assert PersonalDataAccess.objects.get().address == "203.0.113.9"


def test_a_download_of_an_uploaded_document_is_logged(health_user, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    job = ImportJob(kind="registry.registration", filename="登记.xlsx", language="zh-hans", created_by=health_user)
    job.file.save("登记.xlsx", ContentFile(b"PK-document"), save=False)
    job.save()
    request = RequestFactory().get("/imports/file/", REMOTE_ADDR="10.1.1.1")
    request.user = health_user

    response = logged_download(request, record=job, field_file=job.file, filename="登记.xlsx")

    assert b"".join(response.streaming_content) == b"PK-document"
    assert "attachment" in response["Content-Disposition"]
    entry = PersonalDataAccess.objects.get()
    assert (entry.face, entry.action, entry.record_type) == ("download", "download", "core.importjob")
    assert entry.record_ids == [str(job.pk)] and entry.county == health_user.county
    assert entry.address == "10.1.1.1"


def test_the_bureau_finds_the_entries_of_a_record_by_id_and_by_name(admin_client_for, health_user):
    first = InstitutionFactory(name="五马贝乐托育")
    second = InstitutionFactory(name="五马小星星托育")
    client = admin_client_for(health_user)
    for institution in (first, second):
        client.get(reverse("admin:registry_institution_change", args=[institution.pk]))
    changelist = reverse("admin:audit_personaldataaccess_changelist")

    by_id = client.get(changelist, {"q": str(first.pk)}).context["cl"].result_list
    by_name = client.get(changelist, {"q": "小星星"}).context["cl"].result_list
    by_person = client.get(changelist, {"user__id__exact": health_user.pk}).context["cl"].result_list
    today = timezone.localdate()
    by_date = (
        client.get(changelist, {"at__year": today.year, "at__month": today.month, "at__day": today.day})
        .context["cl"]
        .result_list
    )

    assert [e.record_ids for e in by_id] == [[first.pk]]
    assert [e.record_ids for e in by_name] == [[second.pk]]
    assert len(by_person) == len(by_date) == 2


def test_the_log_costs_the_api_list_one_query_whatever_the_page_size(wuma_institutions):
    from django.db import connection  # noqa: PLC0415
    from django.test.utils import CaptureQueriesContext  # noqa: PLC0415

    for n in range(30):
        InstitutionFactory(name=f"五马托育{n}", legal_representative=f"张{n}")
    granted = token_client(UserFactory(role=Role.API_CLIENT, is_staff=False, scope_personal_data=True))
    masked = token_client(UserFactory(role=Role.API_CLIENT, is_staff=False))
    for client in (granted, masked):
        # A token's first use records it (one UPDATE, then at most once a minute): not the log's cost.
        assert client.get("/api/v1/streets/").status_code == 200

    def queries(client, size):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/api/v1/institutions/", {"page_size": size}).status_code == 200
        return len(ctx.captured_queries)

    assert queries(granted, 5) == queries(granted, 30) == queries(masked, 30) + 1
    assert [e.row_count for e in PersonalDataAccess.objects.order_by("at", "id")] == [5, 30]
