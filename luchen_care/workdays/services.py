"""Writes to the working-day calendar.

A change to the calendar moves the legal deadlines counted in it, so every write here
announces it (``signals.working_days_changed``), in its own transaction: the apps that
keep deadlines (registrations' push deadlines today) recount theirs in their receivers,
before the transaction commits.
"""

from django.db import transaction
from django.utils.translation import gettext as _

from .models import WorkdayOverride
from .signals import working_days_changed


def _announce(*, days, cause, actor):
    working_days_changed.send(sender=WorkdayOverride, days=sorted(set(days)), cause=cause, actor=actor)


@transaction.atomic
def workday_override_save(*, override: WorkdayOverride, actor) -> WorkdayOverride:
    """Validate and save an override row on behalf of ``actor`` (a history row names them).

    From then on, the day is a working day or a day off as set here, whatever the
    chinesecalendar package says; the first row in a year makes that year's deadlines
    non-provisional. In the same transaction, ``working_days_changed`` announces the row's
    old and new date: its subscribers recount the push deadline of every registration whose
    window [registered_on, push_deadline] holds one, with a history row naming ``actor``
    and the override.
    """
    stored = None
    if override.pk is not None:
        stored = WorkdayOverride.objects.select_for_update().filter(pk=override.pk).first()
    override.stamp(actor)
    override.full_clean()
    override.save()
    day = override.date.isoformat()
    if stored is None:
        cause = _("working-day override %(day)s added") % {"day": day}
    elif stored.date != override.date:
        cause = _("working-day override %(old)s moved to %(new)s") % {"old": stored.date.isoformat(), "new": day}
    else:
        cause = _("working-day override %(day)s changed") % {"day": day}
    _announce(days=[override.date] + ([stored.date] if stored else []), cause=cause, actor=actor)
    return override


@transaction.atomic
def workday_overrides_delete(*, overrides, actor) -> int:
    """Delete override rows on behalf of ``actor``; return how many.

    Their days fall back to the chinesecalendar package (or Monday to Friday). The deletions
    stay in the history, naming ``actor``; in the same transaction ``working_days_changed``
    announces the days, and its subscribers recount the push deadlines whose window holds one.
    """
    rows = list(WorkdayOverride.objects.select_for_update().filter(pk__in=[o.pk for o in overrides]))
    for row in rows:
        row._history_user = actor  # django-simple-history names them on the deletion row
        row.delete()
    if rows:
        days = ", ".join(sorted(r.date.isoformat() for r in rows))
        _announce(
            days=[r.date for r in rows],
            cause=_("working-day override %(day)s deleted") % {"day": days},
            actor=actor,
        )
    return len(rows)


def workday_override_delete(*, override: WorkdayOverride, actor) -> None:
    """Delete one override row; see ``workday_overrides_delete``."""
    workday_overrides_delete(overrides=[override], actor=actor)
