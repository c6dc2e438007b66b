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
from openpyxl import load_workbook
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
from registry.selectors.registrations import registration_sla_report
from registry.services.institutions import institution_close
from registry.services.push import registration_deliveries
from registry.services.registrations import registration_record
from tests.factories import InstitutionFactory, UserFactory, make_credit_code
from tests.registry.factories import registration_workbook

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
    deliveries = registration_deliveries(registration)
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
    import registry.services.registrations as registrations

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


def test_post_refuses_a_null_character_with_a_message_that_names_it(api, market_user):
    """PostgreSQL cannot store a NUL in text: it is refused on the field, in words that say what
    to remove (Django's own catalogue calls it an "empty string"), and nothing is saved."""
    api.force_authenticate(market_user)
    for name, value in [("street_code", "330302\x00006"), ("registration_number", "AP\x009"), ("credit_code", "9\x00")]:
        response = api.post(URL, fields(**{name: value}), format="json", HTTP_ACCEPT_LANGUAGE="zh-hans")
        assert response.status_code == 400, (name, response.content[:300])
        [message] = response.json()["error"]["fields"][name]
        assert message == "不能包含空字符（\\0），请删除后重新提交。", (name, message)
    assert Registration.objects.count() == 0 and Institution.objects.count() == 0


def test_post_refuses_true_false_and_decimal_numbers_where_text_is_wanted(api, market_user):
    api.force_authenticate(market_user)
    for value, words in [(True, "true"), (1e308, "decimal"), (12.5, "decimal")]:
        response = api.post(URL, fields(registration_number=value), format="json", HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 400
        [message] = response.json()["error"]["fields"]["registration_number"]
        assert words in message
    # A whole number is a code JSON wrote as a number: it is read as its text.
    accepted = api.post(URL, fields(registration_number=330302600000901), format="json")
    assert accepted.status_code == 201
    assert Registration.objects.get().registration_number == "330302600000901"


def test_admin_add_refuses_a_null_character_in_the_street(client, market_user):
    client.force_login(market_user)
    response = client.post(f"{ADMIN}add/", admin_form(street_code="33\x00"))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["street_code"] == ["不能包含空字符（\\0），请删除后重新提交。"]
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
    # The admin's add page is the one input declaration: the same field names as the API.
    return fields(n, **overrides)


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
    assert registration_deliveries(registration).exists()

    again = client.post(f"{ADMIN}add/", admin_form(), follow=True)
    assert again.redirect_chain[-1][0] == f"{ADMIN}{registration.pk}/change/"
    assert Registration.objects.count() == 1


def test_admin_add_shows_field_errors_and_saves_nothing(client, market_user):
    client.force_login(market_user)
    client.cookies["django_language"] = "en"  # the switcher's choice
    with translation.override("en"):
        bad = admin_form(credit_code="91330302MA2ABCDE0Z", registered_on="2999-01-01")
        response = client.post(f"{ADMIN}add/", bad)
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
    assert client.get(f"{ADMIN}{civil_reg.pk}/change/").status_code == 404  # out of scope: not disclosed

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
    response = client.post(f"{ADMIN}import/", {"file": registration_workbook(rows)})
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Registration.objects.filter(source=RegistrationSource.EXCEL).count() == 3
    assert Registration.objects.get(registration_number=fields(3)["registration_number"]).push_deadline == D(2026, 3, 9)
    assert Registration.objects.get(registration_number=fields(2)["registration_number"]).institution.street.code == (
        "330302024"
    )
    again = client.post(f"{ADMIN}import/", {"file": registration_workbook(rows)}, follow=True)
    assert again.status_code == 200
    assert Registration.objects.count() == 3


def test_import_reports_every_bad_cell_and_applies_nothing(client, market_user):
    client.force_login(market_user)
    client.cookies["django_language"] = "en"  # the switcher's choice
    rows = [
        excel_row(1),  # row 2: fine
        excel_row(2, credit_code="91330302MA2ABCDE0Z"),  # row 3: bad check character
        excel_row(3, street_code="不存在街道", legal_representative=""),  # row 4: two bad cells
        excel_row(1),  # row 5: same as row 2
    ]
    with translation.override("en"):
        response = client.post(f"{ADMIN}import/", {"file": registration_workbook(rows)})
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


# --- the guard between registration authorities ------------------------------------------------
#
# A registration authority records registrations only for institutions registered with it, and
# only with credit codes its registering body issues (GB 32100-2015: 1 编办, 5 民政, 9 市场监管).
# The health bureau may record a mismatch, with a correction reason that is kept.

REASON = "民政局来函（鹿民函〔2026〕12号）：该机构已转为民办非企业单位，由民政局登记"


@pytest.fixture
def market_institution(db):
    """Registered with market regulation, under a code that begins with civil affairs' 5: the
    code alone does not tell civil affairs that the institution is not its own."""
    return InstitutionFactory(
        name="温州市鹿城区阳光托育有限公司",
        credit_code=make_credit_code(900, first="5"),
        registration_authority=Authority.MARKET_REGULATION,
        address="温州市鹿城区五马街道解放街1号",
        legal_representative="王晓燕",
    )


def _snapshot(institution):
    institution.refresh_from_db()
    return {
        "name": institution.name,
        "street": institution.street_id,
        "address": institution.address,
        "legal_representative": institution.legal_representative,
        "registration_authority": institution.registration_authority,
        "history": list(institution.history.values_list("history_id", flat=True)),
    }


def takeover(institution, n=50, **overrides):
    """Civil affairs' registration for ``institution``, rewriting what it registered."""
    values = {
        "authority": Authority.CIVIL_AFFAIRS,
        "kind": RegistrationKind.CHANGE,
        "credit_code": institution.credit_code,
        "institution_name": "温州市鹿城区民政接管托育中心",
        "street_code": "330302024",
        "address": "温州市鹿城区滨江街道江滨路9号",
        "legal_representative": "李四",
    }
    return fields(n, **{**values, **overrides})


@pytest.mark.parametrize("kind", [RegistrationKind.CHANGE, RegistrationKind.DEREGISTRATION, RegistrationKind.NEW])
def test_an_authority_cannot_take_over_an_institution_of_another(api, civil_user, market_institution, kind):
    before = _snapshot(market_institution)
    api.force_authenticate(civil_user)
    with translation.override("en"):
        response = api.post(URL, takeover(market_institution, kind=kind), HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 400, response.json()
    errors = response.json()["error"]["fields"]
    assert list(errors) == ["credit_code"]
    assert "registered with another registration authority" in errors["credit_code"][0]
    assert _snapshot(market_institution) == before
    assert not Registration.objects.exists()
    assert not PushDelivery.objects.exists()
    api.force_authenticate(civil_user)  # still out of its scope
    assert api.get(f"/api/v1/institutions/{market_institution.pk}/").status_code == 404


def test_the_admin_add_form_refuses_a_takeover(client, civil_user, market_institution):
    before = _snapshot(market_institution)
    client.force_login(civil_user)
    client.cookies["django_language"] = "en"  # the switcher's choice
    data = takeover(market_institution)
    with translation.override("en"):
        response = client.post(f"{ADMIN}add/", data)

    assert response.status_code == 200
    form = response.context["adminform"].form
    assert list(form.errors) == ["credit_code"]
    assert "registered with another registration authority" in form.errors["credit_code"][0]
    assert "correction_reason" not in form.fields  # an authority has nothing to correct with
    assert _snapshot(market_institution) == before
    assert not Registration.objects.exists()


def test_an_excel_import_refuses_a_takeover(client, civil_user, market_institution):
    before = _snapshot(market_institution)
    client.force_login(civil_user)
    client.cookies["django_language"] = "en"  # the switcher's choice
    row = excel_row(**takeover(market_institution))
    with translation.override("en"):
        response = client.post(f"{ADMIN}import/", {"file": registration_workbook([row])})
    assert response.status_code == 200
    errors = response.context["result"].errors
    assert len(errors) == 1 and errors[0].startswith("Row 2, 统一社会信用代码: "), errors
    assert _snapshot(market_institution) == before
    assert not Registration.objects.exists()


def test_an_authority_keeps_recording_changes_for_its_own_institutions(api, market_user):
    own = InstitutionFactory(credit_code=make_credit_code(901), registration_authority=Authority.MARKET_REGULATION)
    api.force_authenticate(market_user)
    response = api.post(URL, {**takeover(own), "authority": Authority.MARKET_REGULATION})
    assert response.status_code == 201, response.json()
    assert response.json()["correction_reason"] == ""
    own.refresh_from_db()
    assert (own.name, own.registration_authority) == ("温州市鹿城区民政接管托育中心", Authority.MARKET_REGULATION)


def test_the_bureau_corrects_a_mismatch_with_a_recorded_reason(api, health_user, market_institution):
    api.force_authenticate(health_user)
    response = api.post(URL, {**takeover(market_institution), "correction_reason": f"  {REASON} "})

    assert response.status_code == 201, response.json()
    assert response.json()["correction_reason"] == REASON
    registration = Registration.objects.get()
    assert (registration.correction_reason, registration.created_by) == (REASON, health_user)
    assert registration.history.first().correction_reason == REASON
    market_institution.refresh_from_db()
    assert market_institution.registration_authority == Authority.CIVIL_AFFAIRS
    assert market_institution.legal_representative == "李四"
    latest = market_institution.history.first()
    assert latest.history_user == health_user
    assert latest.history_change_reason == REASON[:100]
    # The correction reason is the bureau's, not part of the data as the authority registered it.
    assert "correction_reason" not in registration.data


def test_the_bureau_is_refused_a_mismatch_without_a_reason(api, health_user, market_institution):
    before = _snapshot(market_institution)
    api.force_authenticate(health_user)
    with translation.override("en"):
        response = api.post(URL, takeover(market_institution), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    errors = response.json()["error"]["fields"]
    assert list(errors) == ["credit_code"]
    assert "Market regulation bureau" in errors["credit_code"][0]
    assert "correction reason" in errors["credit_code"][0]
    assert _snapshot(market_institution) == before
    assert not Registration.objects.exists()


def test_the_bureau_gives_no_reason_where_there_is_nothing_to_correct(api, health_user):
    api.force_authenticate(health_user)
    response = api.post(URL, {**fields(), "correction_reason": REASON})
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["correction_reason"]
    assert not Registration.objects.exists()


def test_an_authority_cannot_send_a_correction_reason(api, market_user, civil_user, market_institution):
    api.force_authenticate(civil_user)
    response = api.post(URL, {**takeover(market_institution), "correction_reason": REASON})
    assert response.status_code == 400
    errors = response.json()["error"]["fields"]
    assert set(errors) == {"credit_code", "correction_reason"}
    assert "只有卫健局可以填写更正原因" in errors["correction_reason"][0]  # in Chinese, the default
    # Not even on a repeat of a registration it recorded before.
    api.force_authenticate(market_user)
    assert api.post(URL, fields()).status_code == 201
    again = api.post(URL, {**fields(), "correction_reason": REASON})
    assert again.status_code == 400
    assert list(again.json()["error"]["fields"]) == ["correction_reason"]
    assert Registration.objects.count() == 1
    assert not Registration.objects.exclude(correction_reason="").exists()


@pytest.mark.parametrize("kind", [RegistrationKind.NEW, RegistrationKind.CHANGE])
def test_a_credit_code_from_another_registering_body_is_refused_on_the_api(api, civil_user, kind):
    api.force_authenticate(civil_user)
    with translation.override("en"):
        response = api.post(
            URL,
            fields(authority=Authority.CIVIL_AFFAIRS, kind=kind),  # a "9…" code: market regulation's
            HTTP_ACCEPT_LANGUAGE="en",
        )
    assert response.status_code == 400
    errors = response.json()["error"]["fields"]
    assert list(errors) == ["credit_code"]
    assert "begins with 5" in errors["credit_code"][0] and "begins with 9" in errors["credit_code"][0]
    assert not Registration.objects.exists() and not Institution.objects.exists()


def test_the_bureau_registers_a_code_from_another_body_with_a_reason(api, health_user):
    body = fields(authority=Authority.CIVIL_AFFAIRS)  # a "9…" code
    api.force_authenticate(health_user)
    refused = api.post(URL, body)
    assert refused.status_code == 400
    assert list(refused.json()["error"]["fields"]) == ["credit_code"]

    response = api.post(URL, {**body, "correction_reason": REASON})
    assert response.status_code == 201, response.json()
    institution = Institution.objects.get()
    assert institution.registration_authority == Authority.CIVIL_AFFAIRS
    assert institution.history.first().history_change_reason == REASON[:100]
    assert Registration.objects.get().correction_reason == REASON


def test_a_wrong_prefix_is_refused_in_the_excel_import(client, market_user):
    client.force_login(market_user)
    client.cookies["django_language"] = "en"  # the switcher's choice
    rows = [excel_row(1), excel_row(2, credit_code=make_credit_code(2, first="5"))]
    with translation.override("en"):
        response = client.post(f"{ADMIN}import/", {"file": registration_workbook(rows)})
    assert response.status_code == 200
    errors = response.context["result"].errors
    assert len(errors) == 1, errors
    assert errors[0].startswith("Row 3, 统一社会信用代码: ") and "begins with 9" in errors[0]
    assert not Registration.objects.exists() and not Institution.objects.exists()


def test_the_excel_import_takes_the_bureaus_correction_reason(client, health_user, civil_user, market_institution):
    header = [header for _n, header, _w, _note in COLUMNS]
    assert header[-1] == "更正原因"  # optional: a template without the column still imports
    row = [*excel_row(**takeover(market_institution)), REASON]

    client.force_login(civil_user)
    client.cookies["django_language"] = "en"  # the switcher's choice
    with translation.override("en"):
        refused = client.post(f"{ADMIN}import/", {"file": registration_workbook([row])})
    assert refused.status_code == 200
    assert {e.split(":")[0] for e in refused.context["result"].errors} == {
        "Row 2, 统一社会信用代码",
        "Row 2, 更正原因",
    }
    assert not Registration.objects.exists()

    client.force_login(health_user)
    response = client.post(f"{ADMIN}import/", {"file": registration_workbook([row])})
    assert response.status_code == 302, response.context["result"].errors
    registration = Registration.objects.get()
    assert (registration.source, registration.correction_reason) == (RegistrationSource.EXCEL, REASON)
    market_institution.refresh_from_db()
    assert market_institution.registration_authority == Authority.CIVIL_AFFAIRS


def test_the_admin_bureau_corrects_with_a_reason_shown_read_only(client, health_user, market_institution):
    client.force_login(health_user)
    page = client.get(f"{ADMIN}add/")
    assert 'name="correction_reason"' in page.content.decode()
    data = takeover(market_institution)

    refused = client.post(f"{ADMIN}add/", data)
    assert refused.status_code == 200
    assert list(refused.context["adminform"].form.errors) == ["credit_code"]

    response = client.post(f"{ADMIN}add/", {**data, "correction_reason": REASON})
    assert response.status_code == 302, response.content.decode()[:3000]
    registration = Registration.objects.get()
    assert (registration.source, registration.correction_reason) == (RegistrationSource.ADMIN, REASON)
    html = client.get(f"{ADMIN}{registration.pk}/change/").content.decode()
    assert REASON in html
    assert 'name="correction_reason"' not in html


def test_the_guard_holds_against_a_move_after_validation(market_user, market_institution, monkeypatch):
    """The institution is checked again under its row lock: a change of its authority committed
    between the check and the write (the bureau's correction, say) is not overtaken."""
    import registry.services.registrations as registrations

    own = InstitutionFactory(credit_code=make_credit_code(901), registration_authority=Authority.MARKET_REGULATION)
    validate, institution_for, calls = registrations.registration_validate, registrations._institution_for, []

    def moved_meanwhile(**kwargs):
        cleaned = validate(**kwargs)
        Institution.objects.filter(pk=own.pk).update(registration_authority=Authority.CIVIL_AFFAIRS)
        return cleaned

    def counted(**kwargs):
        calls.append(1)
        return institution_for(**kwargs)

    monkeypatch.setattr(registrations, "registration_validate", moved_meanwhile)
    monkeypatch.setattr(registrations, "_institution_for", counted)
    with pytest.raises(ValidationError) as excinfo:
        record(market_user, kind=RegistrationKind.CHANGE, credit_code=own.credit_code, institution_name="改名")
    assert list(excinfo.value.message_dict) == ["credit_code"]
    assert calls == [1]  # refused at once, not retried as a lost race
    own.refresh_from_db()
    assert own.name != "改名"
    assert not Registration.objects.exists()
