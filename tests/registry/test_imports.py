"""The Excel import of registrations through the shared import flow: the per-row query count does
not grow with the file, an imported registration is indistinguishable from one the service
records, the guard between authorities holds under lock, rows that share an institution are
recorded in file order, and a large file runs on a real Celery worker with its progress page."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from luchen_care.accounts.models import Authority, Role
from luchen_care.core.imports.services import import_start
from luchen_care.core.models import ImportJob, ImportJobStatus
from luchen_care.exchange.models import PushDelivery
from registry.imports import COLUMNS, REGISTRATION_IMPORT
from registry.models import Institution, Registration, RegistrationKind, RegistrationSource
from registry.services.push import registration_deliveries
from registry.services.registrations import registration_record
from tests.accounts.factories import UserFactory
from tests.core.conftest import broker_queue, import_workers, media  # noqa: F401  (fixtures)
from tests.exchange.conftest import wait_until
from tests.registry.factories import InstitutionFactory, make_credit_code, registration_workbook

D = datetime.date
pytestmark = pytest.mark.usefixtures("media")  # uploads kept in each test's own directory
ADMIN = "/admin/registry/registration/"
LABELS = {"market_regulation": "市场监管局", "civil_affairs": "民政局", "new": "新设登记", "change": "变更登记"}


def row(n, **overrides):
    data = {
        "authority": Authority.MARKET_REGULATION,
        "registration_number": f"IMP-{n:06d}",
        "registered_on": D(2026, 2, 13),
        "kind": RegistrationKind.NEW,
        "credit_code": make_credit_code(40_000 + n),
        "institution_name": f"鹿城区导入托育中心{n}号",
        "street_code": "五马街道",
        "address": "温州市鹿城区五马街道解放街1号",
        "legal_representative": "王晓燕",
        "correction_reason": "",
    }
    data.update(overrides)
    return [LABELS.get(data[name], data[name]) for name, *_rest in COLUMNS]


@pytest.fixture
def market_user(db):
    return UserFactory(username="market", role=Role.REGISTRATION_AUTHORITY, authority=Authority.MARKET_REGULATION)


def imported(actor, rows, settings):
    settings.IMPORT_BACKGROUND_ROWS = 10_000  # in this request: the queries are counted here
    with CaptureQueriesContext(connection) as queries:
        job = import_start(kind=REGISTRATION_IMPORT, actor=actor, upload=registration_workbook(rows))
    job.refresh_from_db()
    assert job.status == ImportJobStatus.IMPORTED, job.report
    return len(queries.captured_queries)


def test_the_queries_per_row_do_not_grow_with_the_file(market_user, settings):
    """Checking a row costs no query (the file's lookups are read once); the institutions, the
    registrations, their outbox rows and all their history rows are inserted in bulk
    (``outbox_enqueue_many``). 80 rows cost no more queries than 20."""
    small = imported(market_user, [row(n) for n in range(20)], settings)
    large = imported(market_user, [row(n) for n in range(100, 180)], settings)
    assert large <= small, (small, large)
    assert Registration.objects.filter(source=RegistrationSource.EXCEL).count() == 100


def test_an_imported_registration_is_indistinguishable_from_a_recorded_one(
    market_user, settings, django_capture_on_commit_callbacks
):
    settings.IMPORT_BACKGROUND_ROWS = 10_000
    with django_capture_on_commit_callbacks() as imported_callbacks:
        import_start(kind=REGISTRATION_IMPORT, actor=market_user, upload=registration_workbook([row(1)]))
    with django_capture_on_commit_callbacks() as recorded_callbacks:
        recorded, _created = registration_record(
            actor=market_user,
            source=RegistrationSource.ADMIN,
            authority=Authority.MARKET_REGULATION,
            registration_number="IMP-000002",
            registered_on=D(2026, 2, 13),
            kind=RegistrationKind.NEW,
            credit_code=make_credit_code(40_002),
            institution_name="鹿城区导入托育中心2号",
            street_code="330302006",
            address="温州市鹿城区五马街道解放街1号",
            legal_representative="王晓燕",
        )
    excel = Registration.objects.get(source=RegistrationSource.EXCEL)

    def described(registration):
        institution = registration.institution
        history = registration.history.get()
        institution_history = institution.history.get()
        data = {**registration.data}
        data.pop("registration_number"), data.pop("credit_code"), data.pop("institution_name")
        return {
            "deadline": (registration.push_deadline, registration.push_deadline_provisional),
            "rule": registration.push_rule_id,
            "status": registration.push_status,
            "data": data,
            "audit": (registration.created_by, registration.modified_by),
            "history": (history.history_user, history.history_type, history.history_change_reason),
            "institution": (
                institution.status,
                institution.kind,
                institution.ownership,
                institution.for_profit,
                institution.registration_authority,
                institution.registered_on,
                institution.street_id,
                institution.created_by,
                institution.modified_by,
            ),
            "institution_history": (institution_history.history_user, institution_history.history_type),
            "deliveries": sorted(registration_deliveries(registration).values_list("channel", "status")),
        }

    assert described(excel) == described(recorded)
    assert excel.data["credit_code"] == make_credit_code(40_001)
    assert len(imported_callbacks) == len(recorded_callbacks) == registration_deliveries(excel).count()


def test_rows_that_share_an_institution_are_recorded_in_file_order(market_user, settings):
    settings.IMPORT_BACKGROUND_ROWS = 10_000
    code = make_credit_code(40_500)
    rows = [
        row(1, credit_code=code),
        row(2, credit_code=code, kind=RegistrationKind.CHANGE, institution_name="鹿城区导入托育中心（更名）"),
        row(3),
    ]
    import_start(kind=REGISTRATION_IMPORT, actor=market_user, upload=registration_workbook(rows))

    institution = Institution.objects.get(credit_code=code)
    assert institution.name == "鹿城区导入托育中心（更名）"
    assert institution.registrations.count() == 2
    assert [h.history_type for h in institution.history.order_by("history_id")] == ["+", "~"]
    assert institution.history.first().history_change_reason  # the change of registration, named
    assert Registration.objects.count() == 3


def test_the_guard_is_checked_again_under_lock(market_user, settings, monkeypatch):
    """An institution moved to another authority after the rows were checked is not overtaken:
    the file is refused on that row's credit code and nothing is recorded."""
    import registry.services.registrations as registrations

    settings.IMPORT_BACKGROUND_ROWS = 10_000
    own = InstitutionFactory(credit_code=make_credit_code(40_600), registration_authority=Authority.MARKET_REGULATION)
    record_many = registrations.registrations_record_many

    def moved_meanwhile(**kwargs):
        Institution.objects.filter(pk=own.pk).update(registration_authority=Authority.CIVIL_AFFAIRS)
        return record_many(**kwargs)

    monkeypatch.setattr("registry.imports.registrations_record_many", moved_meanwhile)
    upload = registration_workbook([row(1), row(2, credit_code=own.credit_code)])
    job = import_start(kind=REGISTRATION_IMPORT, actor=market_user, upload=upload)

    job.refresh_from_db()
    assert job.status == ImportJobStatus.REJECTED
    assert [(e["row"], e["column"]) for e in job.report["errors"]] == [(3, "统一社会信用代码")]
    assert not Registration.objects.exists()
    assert not PushDelivery.objects.exists()


@pytest.mark.integration
@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # the migrated streets stay for later tests
def test_a_large_file_through_the_admin_runs_on_a_real_worker(client, import_workers, settings):  # noqa: F811
    settings.IMPORT_BACKGROUND_ROWS = 20
    import_workers.start()
    market = UserFactory(username="market", role=Role.REGISTRATION_AUTHORITY, authority=Authority.MARKET_REGULATION)
    client.force_login(market)

    response = client.post(f"{ADMIN}import/", {"file": registration_workbook([row(n) for n in range(60)])})

    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/imports/{job.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert 'id="import-bar"' in page
    wait_until(
        lambda: client.get(f"/imports/{job.pk}/status/").json()["finished"], timeout=90, message=import_workers.logs()
    )
    job.refresh_from_db()
    assert job.status == ImportJobStatus.IMPORTED, job.report
    assert (job.report["created"], job.report["existing"]) == (60, 0)
    assert Registration.objects.filter(source=RegistrationSource.EXCEL, created_by=market).count() == 60
    # Each push was enqueued on commit and delivered by the worker (the inbox channel).
    wait_until(
        lambda: not PushDelivery.objects.filter(status="pending").exists(), timeout=90, message=import_workers.logs()
    )
    assert Registration.objects.filter(push_status="pushed").count() == 60
    html = client.get(f"/imports/{job.pk}/").content.decode()
    assert 'id="import-summary"' in html and "60" in html
    # The finished job leads on: back to the registrations, or to import another file.
    assert f'href="{ADMIN}"' in html and f'href="{ADMIN}import/"' in html
