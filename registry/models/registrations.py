"""Registrations (登记) at a registration authority, their push and the overdue digest."""

import uuid
import zoneinfo

from django.db import models
from django.db.models import Case, F, When
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from luchen_care.accounts.models import Authority
from luchen_care.core.models import AuditedModel
from luchen_care.core.scope import ScopedQuerySet, ScopePath

from .institutions import Institution
from .policies import PushWindowPolicy


class RegistrationKind(models.TextChoices):
    NEW = "new", _("New registration")
    CHANGE = "change", _("Change of registration")
    DEREGISTRATION = "deregistration", _("Deregistration")


class RegistrationSource(models.TextChoices):
    ADMIN = "admin", _("Entered in the admin")
    API = "api", _("Received through the API")
    EXCEL = "excel", _("Imported from Excel")


class PushStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting push")
    PUSHED = "pushed", _("Pushed")
    FAILED = "failed", _("Push failed")


# Legal deadlines are dates in Lucheng's time zone, whatever the server or user runs in.
PUSH_TIMEZONE = zoneinfo.ZoneInfo("Asia/Shanghai")


class RegistrationQuerySet(ScopedQuerySet):
    """Registrations; ``visible_to(user)`` is the user's scope through ``Registration.scope``."""

    def overdue(self, today=None):
        """Not yet pushed although the deadline day (Asia/Shanghai) has ended."""
        today = today or timezone.localdate()
        return self.filter(pushed_at__isnull=True, push_deadline__lt=today)

    def with_on_time(self):
        """Annotate ``on_time``: pushed, and pushed on or before the deadline day (Asia/Shanghai)."""
        pushed_on = TruncDate("pushed_at", tzinfo=PUSH_TIMEZONE)
        return self.annotate(pushed_on=pushed_on).annotate(
            on_time=Case(
                When(pushed_at__isnull=True, then=None),
                When(pushed_on__lte=F("push_deadline"), then=True),
                default=False,
                output_field=models.BooleanField(null=True),
            ),
        )


class Registration(AuditedModel):
    """A registration (登记) at a registration authority, which must reach the health bureau
    within the push window in force on ``registered_on`` (plan task 20: five working days);
    ``push_rule`` is the window that counted ``push_deadline``."""

    institution = models.ForeignKey(
        Institution,
        verbose_name=_("institution"),
        on_delete=models.PROTECT,
        related_name="registrations",
    )
    authority = models.CharField(_("registration authority"), max_length=32, choices=Authority.choices)
    registration_number = models.CharField(_("registration number"), max_length=64)
    registered_on = models.DateField(_("registered on"))
    kind = models.CharField(_("kind of registration"), max_length=20, choices=RegistrationKind.choices)
    data = models.JSONField(_("data as registered"), default=dict)
    source = models.CharField(_("source"), max_length=10, choices=RegistrationSource.choices)
    push_deadline = models.DateField(_("push deadline"))
    push_rule = models.ForeignKey(
        PushWindowPolicy,
        verbose_name=_("push window rule"),
        on_delete=models.PROTECT,
        related_name="registrations",
        help_text=_("The push window in force on the day of registration, which counted this deadline."),
    )
    push_deadline_provisional = models.BooleanField(
        _("deadline provisional"),
        default=False,
        help_text=_("Counted Monday to Friday because the official holiday calendar for that year is not known yet."),
    )
    push_status = models.CharField(
        _("push status"), max_length=10, choices=PushStatus.choices, default=PushStatus.PENDING, db_index=True
    )
    pushed_at = models.DateTimeField(_("pushed at"), null=True, blank=True)
    correction_reason = models.CharField(
        _("correction reason"),
        max_length=255,
        blank=True,
        help_text=_(
            "Given by the health bureau when it records a registration whose credit code or institution "
            "does not match the registration authority."
        ),
    )
    history = HistoricalRecords(verbose_name=_("historical registration"), excluded_fields=["modified_at"])

    # Through its institution, except for the authority: an authority sees what it registered,
    # even an institution registered elsewhere since.
    scope = ScopePath(institution="institution", authority="authority")
    objects = RegistrationQuerySet.as_manager()

    class Meta:
        ordering = ["-registered_on", "-id"]
        verbose_name = _("registration")
        verbose_name_plural = _("registrations")
        constraints = [
            models.UniqueConstraint(
                fields=["authority", "registration_number"], name="uniq_registration_authority_number"
            ),
        ]
        indexes = [models.Index(fields=["push_status", "push_deadline"])]

    def __str__(self):
        return f"{self.get_authority_display()} {self.registration_number}"

    @property
    def pushed_on_time(self):
        """``True``/``False`` once pushed (pushed_at's Asia/Shanghai date ≤ push_deadline); ``None`` before."""
        if self.pushed_at is None:
            return None
        return self.pushed_at.astimezone(PUSH_TIMEZONE).date() <= self.push_deadline

    @property
    def is_overdue(self):
        return self.pushed_at is None and self.push_deadline < timezone.localdate()


class DigestRun(models.Model):
    """The daily digest of overdue pushes (逾期推送日报): at most one per county and day.

    ``registration_ids`` is the overdue list as taken when the day's run began; the digest is
    sent through the outbox (topic ``registry.overdue_digest``, one delivery per channel, with
    the run's Idempotency-Key); ``channels_done`` lists the channels that have it, and
    ``sent_at`` is set once all do (``registry.services.push``).
    """

    date = models.DateField(_("date"))
    # The county whose overdue registrations it lists, sent to that county's channels (empty:
    # a run from before counties, of the whole deployment).
    county = models.ForeignKey(
        "regions.County", verbose_name=_("county"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    idempotency_key = models.UUIDField(_("idempotency key"), default=uuid.uuid4, unique=True, editable=False)
    registration_ids = models.JSONField(_("overdue registrations"), default=list)
    channels_done = models.JSONField(_("channels delivered"), default=list)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    # It lists registrations of every authority and street of its county: those who see
    # everything of that county read it (its health bureau, its city's commission).
    scope = ScopePath.district(county="county")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-date", "county__code"]
        verbose_name = _("overdue digest")
        verbose_name_plural = _("overdue digests")
        constraints = [
            models.UniqueConstraint(fields=["date", "county"], name="uniq_digest_county_day"),
            models.UniqueConstraint(
                fields=["date"], condition=models.Q(county__isnull=True), name="uniq_digest_deployment_day"
            ),
        ]

    def __str__(self):
        county = f" {self.county.name}" if self.county_id else ""
        return f"{self.date}{county}: {len(self.registration_ids)}"


class InboxEntry(Registration):
    """A registration that has reached the health bureau's inbox in the platform and awaits
    the institution's filing (待备案登记). Read-only; its rows are
    ``registry.selectors.registrations.registrations_awaiting_filing``."""

    class Meta:
        proxy = True
        verbose_name = _("registration awaiting filing")
        verbose_name_plural = _("registrations awaiting filing")
