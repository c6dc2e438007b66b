"""Writes to the working-day calendar."""

from django.db import transaction

from .models import WorkdayOverride


@transaction.atomic
def workday_override_save(*, override: WorkdayOverride, actor) -> WorkdayOverride:
    """Validate and save an override row on behalf of ``actor`` (a history row names them).

    From the next working-day count on, the day is a working day or a day off as set here,
    whatever the chinesecalendar package says; the first row in a year makes that year's
    deadlines non-provisional (the nightly job recounts stored ones).
    """
    override.stamp(actor)
    override.full_clean()
    override.save()
    return override
