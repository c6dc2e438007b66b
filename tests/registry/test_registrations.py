"""Registrations (登记): the service, the API, the admin, the Excel import and the SLA report.

The push itself belongs to ``luchen_care.exchange``: here we check that the outbox rows
are written in the registration's transaction and that a delivery is enqueued on commit,
without running the other side's tasks.
"""

import datetime
import threading
from io import BytesIO
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import translation
from openpyxl import Workbook, load_workbook
from rest_framework.test import APIClient

from luchen_care.accounts.models import Authority, Role
from luchen_care.exchange.models import Channel, PushDelivery
from registry.imports import COLUMNS, DATA_SHEET
from registry.models import (
    Institution,
    InstitutionStatus,
    PushStatus,
    Registration,
    RegistrationKind,
    RegistrationSource,
)
from registry.registrations import registration_record, registration_sla_report
from registry.services import institution_close
from tests.factories import InstitutionFactory, UserFactory, make_credit_code

D = datetime.date
SHANGHAI = ZoneInfo("Asia/Shanghai")
URL = "/api/v1/registrations/"


def fields(n=1, **overrides):
    data = {
        "authority": Authority.MARKET_REGULATION,
        "registration_number": f"330302600{n:06d}",
        "registered_on": "2026-02-13",
        "kind": RegistrationKind.NEW,
        "credit_code": make_credit_code(700 + n),
        "institution_name": f"温州市鹿城区小星星托育有限公司{n}",
        "street_code": "330302006",
        "address": "温州市鹿城区五马街道解放街88号",
        "legal_representative": "陈丽",
    }
    data.update(overrides)
    return data


def record(actor, n=1, *, source=RegistrationSource.API, **kw):
    values = fields(n, **kw)
    values["registered_on"] = D.fromisoformat(values["registered_on"])
    return registration_record(actor=actor, source=source, **values)


@pytest.fixture
def civil_user(db):
    return UserFactory(username="civil", role=Role.REGISTRATION_AUTHORITY, authority=Authority.CIVIL_AFFAIRS)


@pytest.fixture
def deliveries_in_process():
    """Tests that really commit run the push deliveries enqueued on commit in this process,
    whatever REDIS_URL says: nothing is left on a shared broker for another test's worker."""
    from luchen_care.celery import app

    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = eager


@pytest.fixture
def api(db):
    return APIClient()


# --- the service -----------------------------------------------------------------------------


def test_record_registers_institution_sets_deadline_and_writes_outbox_in_one_transaction(
    market_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        registration, created = record(market_user)

    assert created is True
    assert (registration.push_deadline, registration.push_deadline_provisional) == (D(2026, 2, 27), False)
    assert registration.push_status == PushStatus.PENDING and registration.pushed_at is None
    assert registration.source == RegistrationSource.API
    assert registration.data["credit_code"] == fields()["credit_code"]
    assert registration.data["registered_on"] == "2026-02-13"
    assert registration.created_by == market_user
    assert registration.history.first().history_user == market_user

    institution = registration.institution
    assert institution.credit_code == fields()["credit_code"]
    assert institution.status == InstitutionStatus.REGISTERED
    assert institution.registration_authority == Authority.MARKET_REGULATION
    assert institution.registered_on == D(2026, 2, 13)
    assert institution.street.code == "330302006"
    assert institution.created_by == market_user

    # The outbox row exists before commit; its delivery is enqueued only on commit.
    deliveries = PushDelivery.objects.filter(registration=registration)
    assert Channel.INBOX in set(deliveries.values_list("channel", flat=True))
    assert len(callbacks) == deliveries.count()


def test_repeat_returns_the_stored_record_and_duplicates_nothing(market_user, django_capture_on_commit_callbacks):
    first, _ = record(market_user)
    deliveries = PushDelivery.objects.count()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        again, created = record(market_user, institution_name="另一个名字")
    assert created is False
    assert again.pk == first.pk
    assert Registration.objects.count() == 1
    assert Institution.objects.count() == 1
    assert PushDelivery.objects.count() == deliveries
    assert callbacks == []


def test_repeat_is_answered_even_when_todays_checks_would_refuse_it(market_user, health_user):
    first, _ = record(market_user)
    change, _ = record(market_user, registration_number="330302600888888", kind=RegistrationKind.CHANGE)
    institution_close(institution=first.institution, actor=health_user, reason="停止办托")
    again, created = record(market_user, registration_number="330302600888888", kind=RegistrationKind.CHANGE)
    assert (again.pk, created) == (change.pk, False)
    with pytest.raises(ValidationError) as excinfo:  # a new change to a closed institution is refused
        record(market_user, registration_number="330302600777777", kind=RegistrationKind.CHANGE)
    assert list(excinfo.value.message_dict) == ["credit_code"]


def test_matches_an_existing_institution_by_credit_code(market_user):
    existing = InstitutionFactory(credit_code=make_credit_code(701), registration_authority="")
    registration, _ = record(market_user)
    assert registration.institution == existing
    assert Institution.objects.count() == 1
    existing.refresh_from_db()
    assert existing.registration_authority == Authority.MARKET_REGULATION


def test_change_of_registration_updates_the_institution_with_history(market_user):
    first, _ = record(market_user)
    change, created = record(
        market_user,
        registration_number="330302600999999",
        kind=RegistrationKind.CHANGE,
        registered_on="2026-03-02",
        institution_name="温州市鹿城区大星星托育有限公司",
        street_code="330302024",
        address="温州市鹿城区滨江街道江滨路1号",
    )
    assert created is True
    assert change.institution_id == first.institution_id
    institution = change.institution
    institution.refresh_from_db()
    assert institution.name == "温州市鹿城区大星星托育有限公司"
    assert institution.street.code == "330302024"
    latest = institution.history.first()
    assert latest.history_user == market_user
    assert latest.prev_record.name == "温州市鹿城区小星星托育有限公司1"
    # The first registration keeps the data as it was registered.
    first.refresh_from_db()
    assert first.data["institution_name"] == "温州市鹿城区小星星托育有限公司1"


def test_validation_reports_every_field_and_saves_nothing(market_user):
    with pytest.raises(ValidationError) as excinfo:
        record(
            market_user,
            credit_code="91330302MA2ABCDE0Z",
            street_code="330302999",
            registered_on="2999-01-01",
            legal_representative="  ",
            kind="merger",
        )
    errors = excinfo.value.message_dict
    assert set(errors) == {"credit_code", "street_code", "registered_on", "legal_representative", "kind"}
    assert Registration.objects.count() == 0
    assert Institution.objects.count() == 0
    assert PushDelivery.objects.count() == 0


def test_credit_code_must_come_from_the_registering_authority(market_user, civil_user):
    with pytest.raises(ValidationError) as excinfo:
        record(civil_user, authority=Authority.CIVIL_AFFAIRS)  # a "9…" code is market regulation's
    assert list(excinfo.value.message_dict) == ["credit_code"]
    registration, _ = record(civil_user, authority=Authority.CIVIL_AFFAIRS, credit_code=make_credit_code(5, first="5"))
    assert registration.institution.for_profit is False


def test_an_authority_records_only_its_own_registrations(market_user, civil_user, health_user, wuma_user):
    with pytest.raises(ValidationError) as excinfo:
        record(market_user, authority=Authority.CIVIL_AFFAIRS, credit_code=make_credit_code(5, first="5"))
    assert list(excinfo.value.message_dict) == ["authority"]
    with pytest.raises(PermissionDenied):
        record(wuma_user)
    registration, created = record(health_user, authority=Authority.CIVIL_AFFAIRS, credit_code=make_credit_code(6, "5"))
    assert created and registration.created_by == health_user


def test_deregistration_needs_a_known_institution(market_user):
    with pytest.raises(ValidationError) as excinfo:
        record(market_user, kind=RegistrationKind.DEREGISTRATION)
    assert list(excinfo.value.message_dict) == ["credit_code"]


# Real commits from several connections; serialized_rollback keeps the migrated streets for later tests.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_repeats_make_one_registration(market_user, deliveries_in_process):
    """Two systems send the same registration at once: the unique constraint settles it."""
    barrier = threading.Barrier(4)
    results, failures = [], []

    def send():
        try:
            barrier.wait()
            registration, created = record(market_user)
            results.append((registration.pk, created))
        except Exception as exc:  # noqa: BLE001 — reported below
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    assert Registration.objects.count() == 1
    assert Institution.objects.count() == 1
    assert {pk for pk, _ in results} == {Registration.objects.get().pk}
    assert sorted(created for _, created in results) == [False, False, False, True]
    assert PushDelivery.objects.filter(channel=Channel.INBOX).count() == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_registrations_of_one_new_institution_share_it(market_user, deliveries_in_process):
    """Two registrations of the same unknown institution at once: one institution, both registrations."""
    barrier = threading.Barrier(2)
    results, failures = [], []

    def send(n):
        try:
            barrier.wait()
            results.append(record(market_user, n, credit_code=make_credit_code(777))[0].pk)
        except Exception as exc:  # noqa: BLE001 — reported below
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(n,)) for n in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    assert Registration.objects.count() == 2
    assert Institution.objects.count() == 1
    assert set(Registration.objects.values_list("institution", flat=True)) == {Institution.objects.get().pk}


def test_a_new_institution_lost_to_a_concurrent_registration_is_retried_not_refused(market_user, monkeypatch):
    """The race above, made certain: our lookup missed the institution, and by the time its
    uniqueness check ran another transaction had committed the same credit code."""
    import registry.registrations as registrations

    other = InstitutionFactory(credit_code=fields()["credit_code"])
    original, calls = registrations._institution_for, []

    def lost_once(**kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise ValidationError({"credit_code": ["托育机构 with this credit code already exists."]})
        return original(**kwargs)

    monkeypatch.setattr(registrations, "_institution_for", lost_once)

    registration, created = record(market_user)

    assert created and registration.institution == other
    assert len(calls) == 2


# --- the API -------------------------------------------------------------------------------


def test_post_answers_201_then_200_with_the_same_record(api, market_user):
    api.force_authenticate(market_user)
    response = api.post(URL, fields(), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["push_deadline"] == "2026-02-27"
    assert body["push_deadline_provisional"] is False
    assert body["push_status"] == "pending"
    assert body["pushed_at"] is None and body["pushed_on_time"] is None
    assert body["credit_code"] == fields()["credit_code"]

    again = api.post(URL, fields(), format="json")
    assert again.status_code == 200
    assert again.json()["id"] == body["id"]
    assert Registration.objects.count() == 1


def test_post_errors_are_keyed_by_field(api, market_user):
    api.force_authenticate(market_user)
    response = api.post(
        URL,
        fields(credit_code="91330302MA2ABCDE0Z", street_code="999", registered_on="2999-01-01"),
        format="json",
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert set(error["fields"]) == {"credit_code", "street_code", "registered_on"}

    malformed = api.post(URL, {**fields(), "registered_on": "13/02/2026", "authority": "police"}, format="json")
    assert malformed.status_code == 400
    assert set(malformed.json()["error"]["fields"]) == {"registered_on", "authority"}
    assert Registration.objects.count() == 0


@pytest.mark.parametrize("registered_on", ["1901-01-01", "2018-12-31"])
def test_post_refuses_a_date_before_registration_and_filing_began(api, market_user, registered_on):
    api.force_authenticate(market_user)
    response = api.post(URL, fields(registered_on=registered_on), format="json", HTTP_ACCEPT_LANGUAGE="zh-hans")

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["registered_on"]
    message = response.json()["error"]["fields"]["registered_on"][0]
    assert "2019-01-01" in message and "登记" in message  # in the user's language, saying what to fix
    assert not Registration.objects.exists()
    assert not Institution.objects.exists()

    first_day = api.post(URL, fields(registered_on="2019-01-01"), format="json")
    assert first_day.status_code == 201, first_day.json()


def test_who_may_post(api, market_user, wuma_user, api_user, health_user):
    for user in (wuma_user, api_user):
        api.force_authenticate(user)
        response = api.post(URL, fields(), format="json")
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "permission_denied"
    api.force_authenticate(market_user)
    other = api.post(URL, fields(authority=Authority.CIVIL_AFFAIRS, credit_code=make_credit_code(3, "5")))
    assert other.status_code == 400
    assert list(other.json()["error"]["fields"]) == ["authority"]
    api.force_authenticate(health_user)
    assert api.post(URL, fields(), format="json").status_code == 201
    api.force_authenticate(None)
    assert api.post(URL, fields(2), format="json").status_code == 401


def test_get_is_scoped_by_visible_to(api, market_user, civil_user, health_user, wuma_user):
    market_reg, _ = record(market_user)
    civil_reg, _ = record(
        civil_user,
        2,
        authority=Authority.CIVIL_AFFAIRS,
        credit_code=make_credit_code(9, "5"),
        street_code="330302024",
    )

    def ids(user):
        api.force_authenticate(user)
        return {r["id"] for r in api.get(URL).json()["results"]}

    assert ids(market_user) == {market_reg.pk}
    assert ids(civil_user) == {civil_reg.pk}
    assert ids(health_user) == {market_reg.pk, civil_reg.pk}
    assert ids(wuma_user) == {market_reg.pk}  # the street sees registrations of its own institutions
    api.force_authenticate(market_user)
    assert api.get(f"{URL}{civil_reg.pk}/").status_code == 404
    assert api.get(f"{URL}{market_reg.pk}/").json()["registration_number"] == market_reg.registration_number


# --- the SLA -------------------------------------------------------------------------------


def _pushed(registration, local_dt):
    Registration.objects.filter(pk=registration.pk).update(
        pushed_at=local_dt.replace(tzinfo=SHANGHAI), push_status=PushStatus.PUSHED
    )
    registration.refresh_from_db()
    return registration


@pytest.fixture
def sla_data(market_user, civil_user):
    """February: market regulation 1 on time, 1 late, 1 overdue; civil affairs 1 on time. March: 1 on time."""
    on_time, _ = record(market_user, 1)  # deadline 2026-02-27
    late, _ = record(market_user, 2)
    overdue, _ = record(market_user, 3)
    civil, _ = record(civil_user, 4, authority=Authority.CIVIL_AFFAIRS, credit_code=make_credit_code(4, "5"))
    march, _ = record(market_user, 5, registered_on="2026-03-02")  # deadline 2026-03-09
    # 23:30 on the deadline day in Shanghai is still on time, although it is 15:30 UTC.
    _pushed(on_time, datetime.datetime(2026, 2, 27, 23, 30))
    # 00:30 the next day in Shanghai is late, although its UTC date (02-27) is the deadline day.
    _pushed(late, datetime.datetime(2026, 2, 28, 0, 30))
    _pushed(civil, datetime.datetime(2026, 2, 16, 9, 0))
    _pushed(march, datetime.datetime(2026, 3, 9, 17, 0))
    return {"on_time": on_time, "late": late, "overdue": overdue, "civil": civil, "march": march}


def test_on_time_is_judged_by_the_shanghai_date(sla_data):
    assert sla_data["on_time"].pushed_on_time is True
    assert sla_data["late"].pushed_at.astimezone(datetime.UTC).date() == D(2026, 2, 27)
    assert sla_data["late"].pushed_on_time is False
    assert sla_data["overdue"].pushed_on_time is None
    assert sla_data["overdue"].is_overdue is True


def test_sla_report_by_authority_and_month(sla_data, health_user, market_user):
    report = registration_sla_report(user=health_user, year=2026)
    rows = {(r.authority, r.month.isoformat()): r.as_dict() for r in report.rows}
    feb_market = rows[(Authority.MARKET_REGULATION, "2026-02-01")]
    assert (feb_market["total"], feb_market["on_time"], feb_market["late"], feb_market["overdue"]) == (3, 1, 1, 1)
    assert feb_market["on_time_share"] == round(1 / 3, 4)
    assert rows[(Authority.CIVIL_AFFAIRS, "2026-02-01")]["on_time_share"] == 1.0
    assert rows[(Authority.MARKET_REGULATION, "2026-03-01")]["on_time_share"] == 1.0
    by_authority = {r.authority: r for r in report.by_authority}
    assert (by_authority[Authority.MARKET_REGULATION].on_time, by_authority[Authority.MARKET_REGULATION].due) == (2, 4)
    assert [(r.month.isoformat(), r.on_time, r.due) for r in report.by_month] == [
        ("2026-02-01", 2, 4),
        ("2026-03-01", 1, 1),
    ]
    assert (report.overall.on_time, report.overall.due, report.overall.on_time_share) == (3, 5, 0.6)
    # An authority sees its own figures only.
    mine = registration_sla_report(user=market_user)
    assert {r.authority for r in mine.rows} == {Authority.MARKET_REGULATION}
    assert registration_sla_report(user=health_user, year=2025).overall.total == 0


def test_sla_api(api, sla_data, health_user):
    api.force_authenticate(health_user)
    body = api.get(f"{URL}sla/", {"year": 2026}).json()
    assert body["overall"] == {
        "authority": None,
        "month": None,
        "total": 5,
        "due": 5,
        "on_time": 3,
        "late": 1,
        "overdue": 1,
        "waiting": 0,
        "on_time_share": 0.6,
    }
    by_authority = {r["authority"]: r["on_time_share"] for r in body["by_authority"]}
    assert by_authority == {"market_regulation": 0.5, "civil_affairs": 1.0}
    assert [r["month"] for r in body["by_month"]] == ["2026-02", "2026-03"]
    bad = api.get(f"{URL}sla/", {"year": "last", "authority": "police"})
    assert bad.status_code == 400
    assert set(bad.json()["error"]["fields"]) == {"year", "authority"}


def test_api_overdue_filter(api, sla_data, health_user):
    api.force_authenticate(health_user)
    results = api.get(URL, {"overdue": "true"}).json()["results"]
    assert [r["id"] for r in results] == [sla_data["overdue"].pk]
    assert results[0]["overdue"] is True


# --- the admin -----------------------------------------------------------------------------

ADMIN = "/admin/registry/registration/"


def admin_form(n=1, **overrides):
    data = fields(n, **overrides)
    data["street"] = data.pop("street_code")
    return data


def test_admin_add_goes_through_the_service_and_repeat_shows_the_stored_record(client, market_user):
    client.force_login(market_user)
    page = client.get(f"{ADMIN}add/")
    assert page.status_code == 200
    # A registration authority can only pick itself.
    assert 'value="civil_affairs"' not in page.content.decode()

    response = client.post(f"{ADMIN}add/", admin_form())
    assert response.status_code == 302, response.content.decode()[:3000]
    registration = Registration.objects.get()
    assert registration.source == RegistrationSource.ADMIN
    assert registration.created_by == market_user
    assert PushDelivery.objects.filter(registration=registration).exists()

    again = client.post(f"{ADMIN}add/", admin_form(), follow=True)
    assert again.redirect_chain[-1][0] == f"{ADMIN}{registration.pk}/change/"
    assert Registration.objects.count() == 1


def test_admin_add_shows_field_errors_and_saves_nothing(client, market_user):
    client.force_login(market_user)
    with translation.override("en"):
        bad = admin_form(credit_code="91330302MA2ABCDE0Z", registered_on="2999-01-01")
        response = client.post(f"{ADMIN}add/", bad, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert set(form.errors) == {"credit_code", "registered_on"}
    assert Registration.objects.count() == 0 and Institution.objects.count() == 0


def test_admin_change_view_is_read_only(client, market_user):
    registration, _ = record(market_user)
    client.force_login(market_user)
    page = client.get(f"{ADMIN}{registration.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="registration_number"' not in html  # shown, not editable
    assert registration.registration_number in html
    assert "2026-02-27" in html
    assert client.post(f"{ADMIN}{registration.pk}/change/", {"registration_number": "X"}).status_code == 403
    assert client.post(f"{ADMIN}{registration.pk}/delete/").status_code == 403
    registration.refresh_from_db()
    assert registration.registration_number == fields()["registration_number"]


def test_admin_changelist_scoping_and_columns(client, market_user, civil_user, health_user):
    market_reg, _ = record(market_user)
    civil_reg, _ = record(civil_user, 2, authority=Authority.CIVIL_AFFAIRS, credit_code=make_credit_code(8, "5"))
    Registration.objects.filter(pk=market_reg.pk).update(push_deadline_provisional=True)

    client.force_login(market_user)
    html = client.get(ADMIN).content.decode()
    assert market_reg.registration_number in html
    assert civil_reg.registration_number not in html
    assert 'class="provisional"' in html
    assert client.get(f"{ADMIN}{civil_reg.pk}/change/").status_code == 302  # not visible: back to the index

    client.force_login(health_user)
    html = client.get(ADMIN).content.decode()
    assert market_reg.registration_number in html and civil_reg.registration_number in html
    assert 'id="sla-report"' in html


def test_admin_overdue_filter(client, sla_data, health_user):
    client.force_login(health_user)
    response = client.get(ADMIN, {"overdue": "yes"})
    shown = list(response.context["cl"].result_list)
    assert shown == [sla_data["overdue"]]
    assert response.content.decode().count('class="overdue"') == 1
    not_overdue = client.get(ADMIN, {"overdue": "no"}).context["cl"].result_list
    assert sla_data["overdue"] not in list(not_overdue) and len(not_overdue) == 4


def test_admin_sla_page(client, sla_data, health_user, wuma_user):
    client.force_login(health_user)
    response = client.get(f"{ADMIN}sla/", {"year": 2026})
    assert response.status_code == 200
    assert response.context["report"].overall.on_time_share == 0.6
    assert "60%" in response.content.decode()


# --- Excel -----------------------------------------------------------------------------------


def test_template_download_has_chinese_headers_lists_and_an_example(client, market_user, wuma_user):
    client.force_login(wuma_user)
    assert client.get(f"{ADMIN}import/template/").status_code == 403
    client.force_login(market_user)
    response = client.get(f"{ADMIN}import/template/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    wb = load_workbook(BytesIO(response.content))
    ws = wb[DATA_SHEET]
    assert [c.value for c in ws[1]] == [header for _n, header, _w, _note in COLUMNS]
    assert ws.max_row == 1 or all(c.value is None for c in ws[2])  # no example row to import by mistake
    formulas = {dv.formula1 for dv in ws.data_validations.dataValidation}
    assert any("$A$1:$A$3" in (f or "") for f in formulas)  # authorities
    assert any("$B$1:$B$3" in (f or "") for f in formulas)  # kinds
    assert "市场监管局" in [c.value for c in wb["下拉选项"]["A"]]
    notes = [[c.value for c in row] for row in wb["填写说明"].iter_rows()]
    assert any(row[0] == "统一社会信用代码" and row[2] for row in notes)


def workbook(rows):
    wb = Workbook()
    ws = wb.active
    ws.title = DATA_SHEET
    ws.append([header for _n, header, _w, _note in COLUMNS])
    for row in rows:
        ws.append(row)
    buffer = BytesIO()
    wb.save(buffer)
    buffer.seek(0)
    buffer.name = "registrations.xlsx"
    return buffer


def excel_row(n=1, **overrides):
    data = fields(n, **overrides)
    return [
        {"market_regulation": "市场监管局", "civil_affairs": "民政局"}.get(data["authority"], data["authority"]),
        data["registration_number"],
        datetime.datetime.fromisoformat(data["registered_on"]),
        {"new": "新设登记", "change": "变更登记"}.get(data["kind"], data["kind"]),
        data["credit_code"],
        data["institution_name"],
        "五马街道" if data["street_code"] == "330302006" else data["street_code"],
        data["address"],
        data["legal_representative"],
    ]


def test_import_records_every_row_and_a_repeat_duplicates_nothing(client, market_user):
    client.force_login(market_user)
    rows = [excel_row(1), excel_row(2, street_code="330302024"), excel_row(3)]
    rows[2][2] = "2026/3/2"  # typed as text
    response = client.post(f"{ADMIN}import/", {"file": workbook(rows)})
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Registration.objects.filter(source=RegistrationSource.EXCEL).count() == 3
    assert Registration.objects.get(registration_number=fields(3)["registration_number"]).push_deadline == D(2026, 3, 9)
    assert Registration.objects.get(registration_number=fields(2)["registration_number"]).institution.street.code == (
        "330302024"
    )
    again = client.post(f"{ADMIN}import/", {"file": workbook(rows)}, follow=True)
    assert again.status_code == 200
    assert Registration.objects.count() == 3


def test_import_reports_every_bad_cell_and_applies_nothing(client, market_user):
    client.force_login(market_user)
    rows = [
        excel_row(1),  # row 2: fine
        excel_row(2, credit_code="91330302MA2ABCDE0Z"),  # row 3: bad check character
        excel_row(3, street_code="不存在街道", legal_representative=""),  # row 4: two bad cells
        excel_row(1),  # row 5: same as row 2
    ]
    with translation.override("en"):
        response = client.post(f"{ADMIN}import/", {"file": workbook(rows)}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    errors = response.context["result"].errors
    assert len(errors) == 4, errors
    assert errors[0].startswith("Row 3, 统一社会信用代码: ")
    assert any(e.startswith("Row 4, 所在街道（镇）: ") for e in errors)
    assert any(e.startswith("Row 4, 法定代表人: ") for e in errors)
    assert any(e.startswith("Row 5, 登记编号: ") and "row 2" in e for e in errors)
    assert 'id="import-errors"' in response.content.decode()
    assert Registration.objects.count() == 0
    assert Institution.objects.count() == 0
    assert PushDelivery.objects.count() == 0


def test_import_refuses_a_file_that_is_not_the_template(client, market_user):
    client.force_login(market_user)
    junk = BytesIO(b"not a spreadsheet")
    junk.name = "x.xlsx"
    response = client.post(f"{ADMIN}import/", {"file": junk})
    assert response.status_code == 200
    assert len(response.context["result"].errors) == 1
    assert Registration.objects.count() == 0
