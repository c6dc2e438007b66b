"""Changing the working-day calendar recounts, at once, the push deadlines it moves."""

import datetime

import pytest
from django.urls import reverse
from django.utils import translation

from luchen_care.accounts.models import Authority
from luchen_care.workdays.models import WorkdayOverride
from luchen_care.workdays.services import workday_override_delete, workday_override_save
from registry.models import RegistrationKind, RegistrationSource
from registry.services.registrations import registration_record
from tests.registry.factories import StoredRegistrationFactory, make_credit_code

pytestmark = pytest.mark.django_db

D = datetime.date
CLOSED = D(2026, 3, 4)  # a Wednesday


def register(actor, n, registered_on):
    registration, _created = registration_record(
        actor=actor,
        source=RegistrationSource.API,
        authority=Authority.MARKET_REGULATION,
        registration_number=f"33030270{n:06d}",
        registered_on=registered_on,
        kind=RegistrationKind.NEW,
        credit_code=make_credit_code(900 + n),
        institution_name=f"温州市鹿城区小海豚托育有限公司{n}",
        street_code="330302006",
        address="温州市鹿城区五马街道解放街9号",
        legal_representative="王芳",
    )
    return registration


@pytest.fixture
def closure(health_user):
    return workday_override_save(
        override=WorkdayOverride(date=CLOSED, is_working_day=False, reason="台风停工"), actor=health_user
    )


@pytest.fixture
def registered(closure, market_user):
    """Registered Monday 03-02 while Wednesday 03-04 is closed: 3, 5, 6, 9, 10 → deadline 03-10."""
    registration = register(market_user, 1, D(2026, 3, 2))
    assert registration.push_deadline == D(2026, 3, 10)
    return registration


@pytest.fixture
def bureau(client, health_user):
    client.force_login(health_user)
    return client


def deadline_in_the_admin(client, registration):
    """The push deadline as the registration's admin page shows it."""
    page = client.get(reverse("admin:registry_registration_change", args=[registration.pk])).content.decode()
    start = page.index('<div class="form-row field-deadline">')
    return page[start : page.index("</div>\n", page.index('class="readonly"', start))]


def test_adding_a_closure_moves_the_deadlines_in_its_window_at_once(health_user, market_user):
    registration = register(market_user, 1, D(2026, 3, 2))
    outside = register(market_user, 2, D(2026, 3, 10))  # its window starts after the closure
    assert (registration.push_deadline, outside.push_deadline) == (D(2026, 3, 9), D(2026, 3, 17))

    workday_override_save(
        override=WorkdayOverride(date=CLOSED, is_working_day=False, reason="台风停工"), actor=health_user
    )

    registration.refresh_from_db()
    assert registration.push_deadline == D(2026, 3, 10)
    record = registration.history.first()
    assert record.history_user == health_user
    assert "2026-03-09 → 2026-03-10" in record.history_change_reason
    assert "2026-03-04" in record.history_change_reason
    assert outside.history.count() == 1  # untouched


def test_deleting_the_override_in_the_admin_brings_the_deadline_back(bureau, health_user, registered):
    assert "2026-03-10" in deadline_in_the_admin(bureau, registered)

    response = bureau.post(
        reverse("admin:workdays_workdayoverride_delete", args=[WorkdayOverride.objects.get().pk]), {"post": "yes"}
    )

    assert response.status_code == 302
    assert not WorkdayOverride.objects.exists()
    assert "2026-03-09" in deadline_in_the_admin(bureau, registered)
    registered.refresh_from_db()
    assert registered.push_deadline == D(2026, 3, 9)
    record = registered.history.first()
    assert record.history_user == health_user
    assert record.prev_record.push_deadline == D(2026, 3, 10)
    # The registration's history page says why the deadline moved.
    page = bureau.get(reverse("admin:registry_registration_history", args=[registered.pk])).content.decode()
    assert "2026-03-10 → 2026-03-09" in page
    assert "2026-03-04" in page


def test_deleting_overrides_with_the_list_action_recounts_too(bureau, registered):
    response = bureau.post(
        reverse("admin:workdays_workdayoverride_changelist"),
        {"action": "delete_selected", "_selected_action": [WorkdayOverride.objects.get().pk], "post": "yes"},
    )

    assert response.status_code == 302
    assert not WorkdayOverride.objects.exists()
    registered.refresh_from_db()
    assert registered.push_deadline == D(2026, 3, 9)


def test_moving_the_override_to_another_date_recounts_both_windows(bureau, health_user, market_user, registered):
    later = register(market_user, 2, D(2026, 3, 13))  # Friday 03-13: 16, 17, 18, 19, 20
    assert later.push_deadline == D(2026, 3, 20)
    override = WorkdayOverride.objects.get()
    url = reverse("admin:workdays_workdayoverride_change", args=[override.pk])

    response = bureau.post(url, {"date": "2026-03-16", "is_working_day": "", "reason": "台风停工（改期）"})

    assert response.status_code == 302, response.content.decode()[:2000]
    registered.refresh_from_db()
    later.refresh_from_db()
    assert registered.push_deadline == D(2026, 3, 9)  # 03-04 is a working day again
    assert later.push_deadline == D(2026, 3, 23)  # 03-16 is closed now
    assert "2026-03-09" in deadline_in_the_admin(bureau, registered)
    assert "2026-03-23" in deadline_in_the_admin(bureau, later)
    for registration in (registered, later):
        record = registration.history.first()
        assert record.history_user == health_user
        assert "2026-03-04" in record.history_change_reason and "2026-03-16" in record.history_change_reason


def test_a_change_that_moves_nothing_writes_no_registration_history(health_user, registered):
    override = WorkdayOverride.objects.get()
    override.reason = "台风“格美”停工"

    workday_override_save(override=override, actor=health_user)

    assert registered.history.count() == 1


def test_deleting_the_only_override_of_an_unpublished_year_makes_its_deadlines_provisional_again(health_user):
    # 2027's State Council notice is not in the package; one override row makes the year known.
    override = workday_override_save(
        override=WorkdayOverride(date=D(2027, 1, 4), is_working_day=False, reason="2027年元旦调整"), actor=health_user
    )
    registration = StoredRegistrationFactory(
        registration_number="R-2026-1230",
        registered_on=D(2026, 12, 30),
        push_deadline=D(2027, 1, 7),  # 12-31, 01-01, (04 closed), 05, 06, 07
        push_deadline_provisional=False,
    )

    workday_override_delete(override=override, actor=health_user)

    registration.refresh_from_db()
    assert (registration.push_deadline, registration.push_deadline_provisional) == (D(2027, 1, 6), True)


def test_override_str_is_in_the_users_language(closure):
    with translation.override("zh-hans"):
        assert str(closure) == "2026-03-04 休息日"
    with translation.override("en"):
        assert str(closure) == "2026-03-04 day off"
    closure.is_working_day = True
    with translation.override("zh-hans"):
        assert str(closure) == "2026-03-04 工作日"


def test_a_change_is_announced_with_its_days_cause_and_actor_in_its_transaction(health_user):
    """The calendar knows none of its subscribers: it sends ``working_days_changed``; a receiver
    that fails rolls the change back with it (one transaction)."""
    from luchen_care.workdays.signals import working_days_changed

    heard = []

    def listener(sender, *, days, cause, actor, **kwargs):
        heard.append((days, cause, actor))

    def refuse(sender, **kwargs):
        raise RuntimeError("a subscriber could not recount")

    working_days_changed.connect(listener, dispatch_uid="test-listener")
    try:
        with translation.override("en"):
            override = workday_override_save(
                override=WorkdayOverride(date=CLOSED, is_working_day=False, reason="台风停工"), actor=health_user
            )
            override.date = D(2026, 3, 16)
            workday_override_save(override=override, actor=health_user)
        assert heard == [
            ([CLOSED], "working-day override 2026-03-04 added", health_user),
            ([CLOSED, D(2026, 3, 16)], "working-day override 2026-03-04 moved to 2026-03-16", health_user),
        ]
        working_days_changed.connect(refuse, dispatch_uid="test-refuse")
        with pytest.raises(RuntimeError):
            workday_override_delete(override=override, actor=health_user)
        assert WorkdayOverride.objects.filter(pk=override.pk).exists()
    finally:
        working_days_changed.disconnect(dispatch_uid="test-listener")
        working_days_changed.disconnect(dispatch_uid="test-refuse")
