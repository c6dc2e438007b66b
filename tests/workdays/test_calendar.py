"""The working-day calendar that push deadlines are counted in, and the job that recounts provisional ones."""

import datetime

import pytest

from luchen_care.workdays.calendar import Deadline, add_working_days, is_working_day, working_day_deadline
from luchen_care.workdays.models import WorkdayOverride
from registry.models import RegistrationSource
from registry.tasks import recompute_provisional_push_deadlines
from tests.registry.factories import StoredRegistrationFactory

D = datetime.date


def test_spring_festival_2026_deadline_counts_saturday_make_up_day(db):
    # 02-14 (Sat) is a make-up working day; 02-15..02-23 are the Spring Festival holiday.
    assert working_day_deadline(D(2026, 2, 13), 5) == Deadline(D(2026, 2, 27), provisional=False)
    assert add_working_days(D(2026, 2, 13), 5) == D(2026, 2, 27)


def test_registration_day_itself_does_not_count(db):
    assert add_working_days(D(2026, 3, 2), 1) == D(2026, 3, 3)  # Monday → Tuesday
    assert add_working_days(D(2026, 3, 2), 0) == D(2026, 3, 2)


def test_sunday_make_up_day_counts_as_a_working_day(db):
    assert is_working_day(D(2026, 9, 20))  # Sunday, 调休 for the National Day holiday
    assert not is_working_day(D(2026, 9, 19))  # an ordinary Saturday
    # Friday 09-18: Sun 20, Mon 21 … Thu 24 is the 5th; without the make-up day it would be Fri 25.
    assert working_day_deadline(D(2026, 9, 18), 5) == Deadline(D(2026, 9, 24), provisional=False)


def test_override_closing_a_day_moves_the_deadline(db):
    assert add_working_days(D(2026, 2, 13), 5) == D(2026, 2, 27)
    WorkdayOverride.objects.create(date=D(2026, 2, 25), is_working_day=False, reason="台风停工")
    assert not is_working_day(D(2026, 2, 25))
    # 14, 24, 26, 27 and Saturday 28 (also a make-up working day).
    assert working_day_deadline(D(2026, 2, 13), 5) == Deadline(D(2026, 2, 28), provisional=False)


def test_override_opening_a_day_wins_over_the_package(db):
    WorkdayOverride.objects.create(date=D(2026, 2, 16), is_working_day=True, reason="test: opened")
    assert is_working_day(D(2026, 2, 16))
    assert add_working_days(D(2026, 2, 13), 5) == D(2026, 2, 26)


def test_year_the_package_lacks_is_counted_monday_to_friday_and_provisional(db):
    # 2027's State Council notice is not in the installed package.
    assert is_working_day(D(2027, 10, 1))  # a Friday; National Day is not known yet
    assert not is_working_day(D(2027, 10, 2))
    assert working_day_deadline(D(2027, 9, 30), 5) == Deadline(D(2027, 10, 7), provisional=True)
    # A deadline that only runs into the unknown year is provisional too.
    assert working_day_deadline(D(2026, 12, 29), 5).provisional is True
    assert working_day_deadline(D(2026, 12, 1), 5).provisional is False


@pytest.mark.parametrize("day", [D(2003, 5, 1), D(2100, 1, 1), D(2400, 2, 28)])
def test_years_far_outside_the_package_never_crash(db, day):
    deadline = working_day_deadline(day, 5)
    assert deadline.provisional is True
    assert deadline.date > day


def _national_day_2027():
    rows = [(D(2027, 10, d), False, "2027年国庆节放假") for d in range(1, 8)]
    rows.append((D(2027, 9, 26), True, "2027年国庆节调休上班"))
    for day, working, reason in rows:
        WorkdayOverride.objects.create(date=day, is_working_day=working, reason=reason)


def test_override_rows_make_a_year_known(db):
    _national_day_2027()
    # 09-30 → 10-08 (Fri) 1, 10-11..10-14 → Thursday 14 is the 5th.
    assert working_day_deadline(D(2027, 9, 30), 5) == Deadline(D(2027, 10, 14), provisional=False)
    # Days without a row in a known year fall back to Monday–Friday, not provisional any more.
    assert working_day_deadline(D(2027, 3, 1), 5) == Deadline(D(2027, 3, 8), provisional=False)


def test_beat_job_recounts_stored_provisional_deadlines_once_the_year_is_known(db):
    # A registration stored while 2027's arrangement was unknown.
    registration = StoredRegistrationFactory(
        registration_number="R-2027-0930",
        registered_on=D(2027, 9, 30),
        push_deadline=D(2027, 10, 7),
        push_deadline_provisional=True,
    )
    settled = StoredRegistrationFactory(
        registration_number="R-2026-0213", registered_on=D(2026, 2, 13), push_deadline=D(2026, 2, 27)
    )

    # Nothing known yet: the job changes nothing.
    assert recompute_provisional_push_deadlines.apply().get() == 0
    registration.refresh_from_db()
    assert (registration.push_deadline, registration.push_deadline_provisional) == (D(2027, 10, 7), True)

    _national_day_2027()
    assert recompute_provisional_push_deadlines.apply().get() == 1

    registration.refresh_from_db()
    assert registration.push_deadline == D(2027, 10, 14)
    assert registration.push_deadline_provisional is False
    latest = registration.history.first()
    assert "2027-10-07 → 2027-10-14" in latest.history_change_reason
    assert latest.prev_record.push_deadline == D(2027, 10, 7)
    assert settled.history.count() == 1  # a settled deadline is left alone
    assert recompute_provisional_push_deadlines.apply().get() == 0


def test_beat_job_is_scheduled():
    from django.conf import settings

    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "registry.recompute_provisional_push_deadlines" in tasks


def test_override_admin_health_bureau_edits_others_only_view(db, client, health_user, wuma_user):
    client.force_login(wuma_user)
    assert client.get("/admin/workdays/workdayoverride/").status_code == 200
    assert client.get("/admin/workdays/workdayoverride/add/").status_code == 403

    client.force_login(health_user)
    response = client.post(
        "/admin/workdays/workdayoverride/add/",
        {"date": "2026-07-30", "is_working_day": "", "reason": "台风“格美”停工停课"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    override = WorkdayOverride.objects.get(date=D(2026, 7, 30))
    assert override.created_by == health_user
    assert override.history.first().history_user == health_user
    assert not is_working_day(D(2026, 7, 30))
    history = client.get(f"/admin/workdays/workdayoverride/{override.pk}/history/")
    assert history.status_code == 200
    assert "health" in history.content.decode()


def test_beat_job_moves_a_stored_deadline_when_a_closure_is_entered_afterwards(db):
    registration = StoredRegistrationFactory(
        registration_number="R-2026-0213-T",
        registered_on=D(2026, 2, 13),
        source=RegistrationSource.ADMIN,
        push_deadline=D(2026, 2, 27),
    )
    WorkdayOverride.objects.create(date=D(2026, 2, 25), is_working_day=False, reason="台风停工")
    assert recompute_provisional_push_deadlines.apply().get() == 1
    registration.refresh_from_db()
    assert (registration.push_deadline, registration.push_deadline_provisional) == (D(2026, 2, 28), False)
    assert "2026-02-27 → 2026-02-28" in registration.history.first().history_change_reason
    assert recompute_provisional_push_deadlines.apply().get() == 0
