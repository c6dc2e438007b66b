"""Migrations 0011–0013: registrations recorded before the push window was a row get the row in force on their day."""

import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

BEFORE = [("registry", "0011_pushwindowpolicy")]
AFTER = [("registry", "0013_registration_push_rule_required")]


@pytest.fixture(autouse=True)
def _back_to_the_latest_schema():
    """The test leaves the schema at 0013; every later migration is put back after it."""
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def test_existing_registrations_are_back_filled_with_the_row_in_force_on_their_day():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    apps = executor.loader.project_state(BEFORE).apps
    Institution = apps.get_model("registry", "Institution")
    Street = apps.get_model("registry", "Street")
    Registration = apps.get_model("registry", "Registration")
    street = Street.objects.get(code="330302006")
    ids = {}
    for n, day in enumerate([datetime.date(2018, 6, 1), datetime.date(2020, 6, 1), datetime.date(2021, 2, 1)], 1):
        institution = Institution.objects.create(
            name=f"迁移前托育机构{n}号",
            credit_code=f"91330302MIGRATE{n:03d}",
            kind="standalone",
            ownership="private",
            street=street,
            address="温州市鹿城区解放街1号",
            legal_representative="王晓燕",
        )
        ids[day] = Registration.objects.create(
            institution=institution,
            authority="market_regulation",
            registration_number=f"MIG-{n}",
            registered_on=day,
            kind="new",
            source="admin",
            push_deadline=day,
        ).pk

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT r.registered_on, p.effective_from, p.working_days FROM registry_registration r "
            "JOIN registry_pushwindowpolicy p ON p.id = r.push_rule_id WHERE r.id = ANY(%s) ORDER BY r.registered_on",
            [list(ids.values())],
        )
        rows = cursor.fetchall()
    assert rows == [
        (datetime.date(2018, 6, 1), datetime.date(2019, 1, 1), 5),  # before every row: the first one
        (datetime.date(2020, 6, 1), datetime.date(2019, 1, 1), 5),
        (datetime.date(2021, 2, 1), datetime.date(2021, 2, 1), 5),
    ]
