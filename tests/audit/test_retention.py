"""Retention: entries are kept PERSONAL_DATA_ACCESS_RETENTION_DAYS (180 by default), then pruned by beat."""

import datetime

import pytest
from django.conf import settings
from django.core import checks
from django.utils import timezone

from luchen_care.audit.models import AccessAction, Face, PersonalDataAccess
from luchen_care.audit.services import personal_data_access_prune
from luchen_care.audit.tasks import prune_personal_data_access
from luchen_care.celery import app

pytestmark = pytest.mark.django_db


def entry_aged(days, hours=0):
    return PersonalDataAccess.objects.create(
        at=timezone.now() - datetime.timedelta(days=days, hours=hours),
        username=f"reader-{days}-{hours}",
        face=Face.API,
        action=AccessAction.LIST,
        record_type="registry.institution",
        path="/api/v1/institutions/",
    )


def test_the_default_is_180_days():
    assert settings.PERSONAL_DATA_ACCESS_RETENTION_DAYS == 180


def test_a_pruning_run_removes_only_the_entries_past_retention():
    kept = [entry_aged(0), entry_aged(100), entry_aged(179, hours=23)]
    entry_aged(180, hours=1)
    entry_aged(400)

    assert personal_data_access_prune() == 2

    assert set(PersonalDataAccess.objects.values_list("pk", flat=True)) == {e.pk for e in kept}
    assert personal_data_access_prune() == 0  # a second run the same day removes nothing


def test_the_retention_is_configurable(settings):
    settings.PERSONAL_DATA_ACCESS_RETENTION_DAYS = 365
    kept = entry_aged(200)
    entry_aged(366)

    assert personal_data_access_prune() == 1
    assert list(PersonalDataAccess.objects.values_list("pk", flat=True)) == [kept.pk]


def test_beat_runs_the_pruning_task_daily():
    [entry] = [e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == "audit.prune_personal_data_access"]
    schedule = entry["schedule"]  # a crontab: once a day, at one hour and minute, every day
    assert len(schedule.hour) == len(schedule.minute) == 1
    assert schedule.day_of_week == set(range(7)) and schedule.day_of_month == set(range(1, 32))
    assert "audit.prune_personal_data_access" in app.tasks


def test_the_task_prunes(settings):
    entry_aged(181)
    kept = entry_aged(1)

    assert prune_personal_data_access.apply().get() == 1  # as a worker runs it
    assert list(PersonalDataAccess.objects.values_list("pk", flat=True)) == [kept.pk]


def test_a_retention_below_six_months_is_warned_about(settings):
    settings.PERSONAL_DATA_ACCESS_RETENTION_DAYS = 90
    ids = [message.id for message in checks.run_checks()]
    assert "audit.W001" in ids
