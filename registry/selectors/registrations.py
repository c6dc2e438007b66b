"""Reads of registrations: the lists a user may see, the bureau's SLA report and the inbox awaiting filing."""

import datetime
from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Exists, F, OuterRef, Q, Subquery
from django.db.models.functions import TruncMonth
from django.utils import timezone

from luchen_care.accounts.models import Authority
from luchen_care.core.masking import PERSONAL_FIELDS, reads_personal_data
from luchen_care.exchange.models import Channel, DeliveryStatus, PushDelivery

from ..models import Filing, FilingStatus, InboxEntry, Registration
from ..services.push import REGISTRATION_TOPIC


def registration_list(*, user):
    """The registrations ``user`` may see, with what a list needs loaded."""
    return Registration.objects.visible_to(user).select_related("institution", "institution__street")


# A street office's workbench counts the registrations of this many days, today included.
RECENT_DAYS = 30


def registrations_due_today(registrations, *, today=None):
    """Those of ``registrations`` not yet pushed whose deadline is today (Asia/Shanghai): their push
    must reach the health bureau before the day ends (``overdue()`` holds those whose day has ended)."""
    today = today or timezone.localdate()
    return registrations.filter(pushed_at__isnull=True, push_deadline=today)


def registrations_deadline_ahead(registrations, *, today=None):
    """Those of ``registrations`` not yet pushed whose deadline is after today: still inside their window."""
    today = today or timezone.localdate()
    return registrations.filter(pushed_at__isnull=True, push_deadline__gt=today)


def registrations_recent(registrations, *, today=None):
    """Those of ``registrations`` registered in the last ``RECENT_DAYS`` days, today included."""
    today = today or timezone.localdate()
    return registrations.filter(registered_on__gt=today - datetime.timedelta(days=RECENT_DAYS))


def registrations_registered_in_month(registrations, *, month):
    """Those of ``registrations`` registered in the calendar month of the date ``month``."""
    first = month.replace(day=1)
    following = (first + datetime.timedelta(days=32)).replace(day=1)
    return registrations.filter(registered_on__gte=first, registered_on__lt=following)


def registrations_per_street(registrations):
    """``registrations`` counted by their institution's street: rows of ``street_id``, ``street_name``,
    ``count``, most first; a street without any has no row."""
    return (
        registrations.values(street_id=F("institution__street"), street_name=F("institution__street__name"))
        .annotate(count=Count("pk"))
        .order_by("-count", "street_name")
    )


def registrations_showing_personal_data(*, user, registrations):
    """Those of ``registrations`` whose data as registered ``user`` reads with its personal fields
    in full (``core.masking``): the ones an access-log entry must name."""
    if not reads_personal_data(user):
        return []
    return [r for r in registrations if any((r.data or {}).get(name) for name in PERSONAL_FIELDS)]


@dataclass
class SlaRow:
    """Push figures for one group of registrations.

    ``due`` counts registrations pushed or past their deadline; ``on_time_share`` is
    ``on_time / due`` (``None`` when nothing is due yet). Registrations still inside their
    push window count in ``total`` and ``waiting`` only.
    """

    authority: str = ""
    month: datetime.date | None = None
    total: int = 0
    on_time: int = 0
    late: int = 0
    overdue: int = 0
    waiting: int = 0

    @property
    def due(self):
        return self.on_time + self.late + self.overdue

    @property
    def on_time_share(self):
        return round(self.on_time / self.due, 4) if self.due else None

    @property
    def authority_label(self):
        return Authority(self.authority).label if self.authority else ""

    def add(self, other):
        for name in ("total", "on_time", "late", "overdue", "waiting"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def as_dict(self):
        return {
            "authority": self.authority or None,
            "month": self.month.strftime("%Y-%m") if self.month else None,
            "total": self.total,
            "due": self.due,
            "on_time": self.on_time,
            "late": self.late,
            "overdue": self.overdue,
            "waiting": self.waiting,
            "on_time_share": self.on_time_share,
        }


@dataclass
class SlaReport:
    rows: list = field(default_factory=list)  # by authority and month of registration
    by_authority: list = field(default_factory=list)
    by_month: list = field(default_factory=list)
    overall: SlaRow = field(default_factory=SlaRow)

    def as_dict(self):
        return {
            "rows": [r.as_dict() for r in self.rows],
            "by_authority": [r.as_dict() for r in self.by_authority],
            "by_month": [r.as_dict() for r in self.by_month],
            "overall": self.overall.as_dict(),
        }


def registration_sla_report(*, user, year=None, authority=None, today=None) -> SlaReport:
    """The share of registrations pushed on time, by authority and by month of registration.

    On time: ``pushed_at``'s Asia/Shanghai date is on or before ``push_deadline``. Overdue:
    not pushed and the deadline day has ended. Scoped by ``Registration.objects.visible_to``.
    """
    today = today or timezone.localdate()
    qs = Registration.objects.visible_to(user).with_on_time()
    if year:
        qs = qs.filter(registered_on__year=year)
    if authority:
        qs = qs.filter(authority=authority)
    grouped = (
        qs.annotate(month=TruncMonth("registered_on"))
        .values("authority", "month")
        .annotate(
            total_count=Count("pk"),
            on_time_count=Count("pk", filter=Q(on_time=True)),
            late_count=Count("pk", filter=Q(on_time=False)),
            overdue_count=Count("pk", filter=Q(pushed_at__isnull=True, push_deadline__lt=today)),
            waiting_count=Count("pk", filter=Q(pushed_at__isnull=True, push_deadline__gte=today)),
        )
        .order_by("month", "authority")
    )
    report = SlaReport()
    by_authority, by_month = {}, {}
    for values in grouped:
        month = values["month"]
        if isinstance(month, datetime.datetime):
            month = month.date()
        row = SlaRow(
            authority=values["authority"],
            month=month,
            total=values["total_count"],
            on_time=values["on_time_count"],
            late=values["late_count"],
            overdue=values["overdue_count"],
            waiting=values["waiting_count"],
        )
        report.rows.append(row)
        by_authority.setdefault(row.authority, SlaRow(authority=row.authority)).add(row)
        by_month.setdefault(row.month, SlaRow(month=row.month)).add(row)
        report.overall.add(row)
    report.by_authority = [by_authority[a] for a in Authority.values if a in by_authority]
    report.by_month = [by_month[m] for m in sorted(by_month)]
    return report


def registrations_awaiting_filing(*, user):
    """The inbox (待备案登记) as ``user`` may see it: registrations whose push reached the
    platform's inbox and whose filing is not approved yet, scoped by ``InboxEntry.objects.visible_to``.

    Each row is annotated with ``delivered_at``, when its inbox delivery was delivered;
    newest first. The registration, its institution and street are loaded.
    """
    inbox = PushDelivery.objects.filter(
        subject_type=ContentType.objects.get_for_model(Registration),
        subject_id=OuterRef("pk"),
        topic=REGISTRATION_TOPIC,
        channel=Channel.INBOX,
        status=DeliveryStatus.DELIVERED,
    )
    # A registration whose filing the bureau approved has been answered: it leaves the inbox.
    filed = Filing.objects.filter(registration=OuterRef("pk"), status=FilingStatus.FILED)
    return (
        InboxEntry.objects.visible_to(user)
        .filter(Exists(inbox))
        .exclude(Exists(filed))
        .annotate(delivered_at=Subquery(inbox.values("delivered_at")[:1]))
        .select_related("institution__street")
        .order_by("-delivered_at", "-pk")
    )
