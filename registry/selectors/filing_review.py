"""Reads of the bureau's review of filings: its queue, what is due, and the working days left.

The queue is ``Filing.objects.reviewed_by(user)`` for the bureau a filing is routed to (the
education bureau nursery classes, the health bureau the rest; a superuser both); a district
reader that reviews nothing (the city's commission) reads ``visible_to`` instead. "Due" is the
receipt deadline of a filing still waiting for the bureau.
"""

import datetime

from django.utils import timezone

from luchen_care.accounts.models import Role
from luchen_care.workdays.calendar import Calendar

from ..models import Filing
from ..models.filings import AWAITING_BUREAU


def reviews_filings(user) -> bool:
    """Whether ``user``'s role is a reviewing bureau's (or a superuser): its queue is ``reviewed_by``."""
    return bool(
        user
        and user.is_authenticated
        and (user.is_superuser or user.role in (Role.HEALTH_BUREAU, Role.EDUCATION_BUREAU))
    )


def filing_review_queue(*, user):
    """The filings ``user`` reads in the admin: its bureau's queue, or (a reader) those it sees."""
    rows = Filing.objects.reviewed_by(user) if reviews_filings(user) else Filing.objects.visible_to(user)
    return rows.select_related("institution__street")


def filings_awaiting_review(queryset):
    return queryset.awaiting_bureau()


def filings_due_today(queryset, *, today=None):
    return filings_awaiting_review(queryset).filter(receipt_deadline=today or timezone.localdate())


def filings_overdue(queryset, *, today=None):
    return filings_awaiting_review(queryset).filter(receipt_deadline__lt=today or timezone.localdate())


def filings_due_ahead(queryset, *, today=None):
    return filings_awaiting_review(queryset).filter(receipt_deadline__gt=today or timezone.localdate())


def working_days_left(filings, *, today=None) -> dict:
    """``{filing id: working days}`` from ``today`` to each waiting filing's receipt deadline, with
    one calendar (one query) for them all: the working days after today up to the deadline (0: due
    today), or, overdue, minus the working days since it (the deadline day excluded, today included).
    Filings not waiting for the bureau, or without a deadline, are left out."""
    today = today or timezone.localdate()
    waiting = [f for f in filings if f.status in AWAITING_BUREAU and f.receipt_deadline]
    if not waiting:
        return {}
    days = [f.receipt_deadline for f in waiting] + [today]
    calendar = Calendar(min(days).year, max(days).year)

    def between(start, end):
        """Working days in (start, end]."""
        count, day = 0, start
        while day < end:
            day += datetime.timedelta(days=1)
            count += calendar.is_working_day(day)
        return count

    return {
        f.pk: between(today, f.receipt_deadline) if f.receipt_deadline >= today else -between(f.receipt_deadline, today)
        for f in waiting
    }
