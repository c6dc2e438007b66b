"""The institution registry: streets, childcare institutions and their classes."""

import uuid
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Case, F, Q, When
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from luchen_care.accounts.models import Authority, Role
from luchen_care.core.models import ArchivableModel, AuditedModel
from luchen_care.core.policy import DatedPolicy

from .validators import validate_credit_code, validate_phone


class Street(models.Model):
    """One of Lucheng's 12 streets (街道) and 2 towns (镇), keyed by its NBS code."""

    class Kind(models.TextChoices):
        STREET = "street", _("Street")
        TOWN = "town", _("Town")

    code = models.CharField(_("NBS code"), max_length=12, unique=True)
    name = models.CharField(_("name"), max_length=50, unique=True)
    kind = models.CharField(_("type"), max_length=10, choices=Kind.choices, default=Kind.STREET)

    class Meta:
        ordering = ["code"]
        verbose_name = _("street or town")
        verbose_name_plural = _("streets and towns")

    def __str__(self):
        return self.name

    def current_population(self):
        latest = self.populations.order_by("-year").first()
        return latest


class StreetPopulation(AuditedModel):
    """The resident population (常住人口) of a street at the end of a given year."""

    street = models.ForeignKey(Street, on_delete=models.PROTECT, related_name="populations")
    year = models.PositiveSmallIntegerField(_("year"), validators=[MinValueValidator(2000)])
    population = models.PositiveIntegerField(_("resident population"))
    source = models.CharField(_("source"), max_length=200, blank=True)
    history = HistoricalRecords(verbose_name=_("historical street population"))

    class Meta:
        ordering = ["street__code", "-year"]
        verbose_name = _("resident population")
        verbose_name_plural = _("resident populations")
        constraints = [
            models.UniqueConstraint(fields=["street", "year"], name="uniq_street_population_year"),
        ]

    def __str__(self):
        return f"{self.street} {self.year}: {self.population}"


class InstitutionKind(models.TextChoices):
    STANDALONE = "standalone", _("Stand-alone childcare institution")
    NURSERY_CLASS = "nursery_class", _("Kindergarten nursery class")
    EMPLOYER = "employer", _("Employer-run")
    COMMUNITY = "community", _("Community-embedded")
    FAMILY = "family", _("Family care point")


class Ownership(models.TextChoices):
    PUBLIC = "public", _("Public")
    PRIVATE = "private", _("Private (social forces)")


class InstitutionStatus(models.TextChoices):
    REGISTERED = "registered", _("Registered")
    FILED = "filed", _("Filed")
    OPERATING = "operating", _("Operating")
    SUSPENDED = "suspended", _("Suspended")
    CLOSED = "closed", _("Closed")


# The lifecycle date each status carries; only the lifecycle steps (``registry.services``) write them.
STATUS_DATE_FIELD = {
    InstitutionStatus.REGISTERED: "registered_on",
    InstitutionStatus.FILED: "filed_on",
    InstitutionStatus.OPERATING: "operating_since",
    InstitutionStatus.SUSPENDED: "suspended_on",
    InstitutionStatus.CLOSED: "closed_on",
}


class DemonstrationLevel(models.TextChoices):
    NONE = "", _("None")
    DISTRICT = "district", _("District demonstration unit")
    CITY = "city", _("City demonstration unit")
    PROVINCIAL = "provincial", _("Provincial demonstration unit")


class InstitutionQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The institutions ``user`` may see. Every view, API, export and page uses this.

        - health bureau and superusers: everything
        - education bureau: kindergarten nursery classes
        - registration authority: institutions registered with that authority
        - street office: its own street
        - institution: itself, plus its branches if it is a chain head office
        - API client: its granted scope (streets and kinds; empty means all)
        - anyone else: nothing
        """
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_superuser or user.role == Role.HEALTH_BUREAU:
            return self.all()
        if user.role == Role.EDUCATION_BUREAU:
            return self.filter(kind=InstitutionKind.NURSERY_CLASS)
        if user.role == Role.REGISTRATION_AUTHORITY and user.authority:
            return self.filter(registration_authority=user.authority)
        if user.role == Role.STREET_OFFICE and user.street_id:
            return self.filter(street_id=user.street_id)
        if user.role == Role.INSTITUTION and user.institution_id:
            return self.filter(Q(pk=user.institution_id) | Q(head_office_id=user.institution_id))
        if user.role == Role.API_CLIENT:
            qs = self.all()
            street_ids = list(user.scope_streets.values_list("pk", flat=True))
            if street_ids:
                qs = qs.filter(street_id__in=street_ids)
            if user.scope_kinds:
                qs = qs.filter(kind__in=user.scope_kinds)
            return qs
        return self.none()


class Institution(AuditedModel, ArchivableModel):
    """A childcare provider for children under three (托育机构), whatever its kind."""

    name = models.CharField(_("name"), max_length=200)
    credit_code = models.CharField(
        _("unified social credit code"),
        max_length=18,
        unique=True,
        validators=[validate_credit_code],
        help_text=_("18 characters, GB 32100-2015."),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=InstitutionKind.choices)
    ownership = models.CharField(_("ownership"), max_length=10, choices=Ownership.choices)
    for_profit = models.BooleanField(_("for-profit"), default=False)
    inclusive = models.BooleanField(_("inclusive (普惠)"), default=False)
    registration_authority = models.CharField(
        _("registration authority"), max_length=32, choices=Authority.choices, blank=True
    )
    street = models.ForeignKey(
        Street, verbose_name=_("street or town"), on_delete=models.PROTECT, related_name="institutions"
    )
    address = models.CharField(_("address"), max_length=255)
    legal_representative = models.CharField(_("legal representative"), max_length=50)
    # Blank until the institution files: a registration pushed by an authority carries no phone.
    contact_phone = models.CharField(_("contact phone"), max_length=20, blank=True, validators=[validate_phone])
    approved_places = models.PositiveIntegerField(_("approved places"), default=0)
    head_office = models.ForeignKey(
        "self",
        verbose_name=_("chain head office"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="branches",
    )
    demonstration_level = models.CharField(
        _("demonstration level"), max_length=12, choices=DemonstrationLevel.choices, blank=True
    )
    livelihood_project = models.BooleanField(_("livelihood project (民生实事)"), default=False)

    status = models.CharField(
        _("status"), max_length=12, choices=InstitutionStatus.choices, default=InstitutionStatus.REGISTERED
    )
    registered_on = models.DateField(_("registered on"), null=True, blank=True)
    filed_on = models.DateField(_("filed on"), null=True, blank=True)
    operating_since = models.DateField(_("operating since"), null=True, blank=True)
    suspended_on = models.DateField(_("suspended on"), null=True, blank=True)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)

    history = HistoricalRecords(
        verbose_name=_("historical institution"),
        excluded_fields=["modified_at"],
        user_model=settings.AUTH_USER_MODEL,
    )

    objects = InstitutionQuerySet.as_manager()

    class Meta:
        ordering = ["street__code", "name"]
        verbose_name = _("childcare institution")
        verbose_name_plural = _("childcare institutions")
        indexes = [
            models.Index(fields=["street", "kind"]),
            models.Index(fields=["status"]),
            models.Index(fields=["kind"]),
            # Lists ordered by name: the whole district, and one street (a street office's list).
            models.Index(fields=["name"], name="registry_inst_name_idx"),
            models.Index(fields=["street", "name"], name="registry_inst_street_name_idx"),
            # A street office's list filtered by status, and its COUNT(*) from the index alone.
            models.Index(fields=["street", "status"], name="registry_inst_street_stat_idx"),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        super().clean()
        # Chains are one level deep: a head office and its branches (visible_to relies on it).
        head = self.head_office
        if head is not None:
            if self.pk is not None and head.pk == self.pk:
                raise ValidationError({"head_office": _("An institution cannot be its own chain head office.")})
            if head.head_office_id is not None:
                raise ValidationError(
                    {"head_office": _("“%(head)s” is itself a branch; choose its head office.") % {"head": head}}
                )
            if self.pk is not None and self.branches.exists():
                raise ValidationError(
                    {"head_office": _("This institution is a chain head office with branches; it cannot be a branch.")}
                )

    @property
    def status_since(self):
        """The date the current status began, as recorded (``None`` if never dated)."""
        return getattr(self, STATUS_DATE_FIELD[self.status])

    @property
    def total_capacity(self):
        return sum(c.capacity for c in self.classes.all())


class InstitutionStep(models.TextChoices):
    """The named transitions of an institution's lifecycle (``registry.services``)."""

    MARK_FILED = "mark_filed", _("Record the filing")
    MARK_OPERATING = "mark_operating", _("Record the start of operations")
    SUSPEND = "suspend", _("Suspend")
    RESUME = "resume", _("Resume")
    CLOSE = "close", _("Close")


class InstitutionTransition(models.Model):
    """One lifecycle step of an institution, as recorded: who, when, on what document and why.

    Written only by the transition services, never changed afterwards; the institution's
    change page and history page list them.
    """

    institution = models.ForeignKey(
        Institution, verbose_name=_("institution"), on_delete=models.PROTECT, related_name="transitions"
    )
    name = models.CharField(_("step"), max_length=20, choices=InstitutionStep.choices)
    source = models.CharField(_("from status"), max_length=12, choices=InstitutionStatus.choices)
    target = models.CharField(_("to status"), max_length=12, choices=InstitutionStatus.choices)
    effective_on = models.DateField(_("effective on"))
    document_reference = models.CharField(_("document reference"), max_length=100, blank=True)
    comment = models.TextField(_("reason"), blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        ordering = ["institution", "recorded_at", "id"]
        verbose_name = _("lifecycle step")
        verbose_name_plural = _("lifecycle steps")

    def __str__(self):
        return f"{self.institution}: {self.get_name_display()} ({self.effective_on})"


class ClassType(models.TextChoices):
    INFANT = "infant", _("Infant class (6–12 months)")
    TODDLER = "toddler", _("Toddler class (12–24 months)")
    OLDER = "older", _("Older toddler class (24–36 months)")
    MIXED = "mixed", _("Mixed-age class (18 months+)")


class InstitutionClass(models.Model):
    """The classes of one type that an institution runs, and how many children they take."""

    institution = models.ForeignKey(
        Institution, verbose_name=_("institution"), on_delete=models.CASCADE, related_name="classes"
    )
    class_type = models.CharField(_("class type"), max_length=10, choices=ClassType.choices)
    class_count = models.PositiveSmallIntegerField(_("number of classes"), validators=[MinValueValidator(1)])
    capacity = models.PositiveIntegerField(_("capacity (children)"), validators=[MinValueValidator(1)])
    history = HistoricalRecords(verbose_name=_("historical institution class"))

    class Meta:
        ordering = ["institution", "class_type"]
        verbose_name = _("class")
        verbose_name_plural = _("classes")
        constraints = [
            models.UniqueConstraint(fields=["institution", "class_type"], name="uniq_institution_class_type"),
        ]

    def __str__(self):
        return f"{self.get_class_type_display()} × {self.class_count}"


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


class PushWindowPolicy(DatedPolicy):
    """How many working days a registration authority has to push a registration to the health
    bureau (plan task 20: five). The row in force on ``registered_on`` counts the deadline, and
    the registration keeps it (``Registration.push_rule``)."""

    working_days = models.PositiveSmallIntegerField(
        _("working days"),
        validators=[MinValueValidator(1)],
        help_text=_("The deadline is this many working days after the day of registration, which does not count."),
    )
    history = HistoricalRecords(verbose_name=_("historical push window"), excluded_fields=["modified_at"])

    class Meta(DatedPolicy.Meta):
        verbose_name = _("push window")
        verbose_name_plural = _("push windows")
        constraints = [
            *DatedPolicy.Meta.constraints,
            models.CheckConstraint(condition=Q(working_days__gte=1), name="registry_pushwindow_working_days_positive"),
        ]

    def __str__(self):
        return _("%(days)d working days from %(day)s") % {"days": self.working_days, "day": self.effective_from}


class RegistrationQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Registrations ``user`` may see: those of the institutions it sees; an authority its own."""
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_superuser or user.role == Role.HEALTH_BUREAU:
            return self.all()
        if user.role == Role.REGISTRATION_AUTHORITY and user.authority:
            return self.filter(authority=user.authority)
        return self.filter(institution__in=Institution.objects.visible_to(user))

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
    """The daily digest of overdue pushes (逾期推送日报): at most one per day.

    ``registration_ids`` is the overdue list as taken when the day's run began; the digest is
    sent through the outbox (topic ``registry.overdue_digest``, one delivery per channel, with
    the run's Idempotency-Key); ``channels_done`` lists the channels that have it, and
    ``sent_at`` is set once all do (``registry.push``).
    """

    date = models.DateField(_("date"), unique=True)
    idempotency_key = models.UUIDField(_("idempotency key"), default=uuid.uuid4, unique=True, editable=False)
    registration_ids = models.JSONField(_("overdue registrations"), default=list)
    channels_done = models.JSONField(_("channels delivered"), default=list)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-date"]
        verbose_name = _("overdue digest")
        verbose_name_plural = _("overdue digests")

    def __str__(self):
        return f"{self.date}: {len(self.registration_ids)}"


class InboxEntry(Registration):
    """A registration that has reached the health bureau's inbox in the platform and awaits
    the institution's filing (待备案登记). Read-only; its rows are
    ``registry.selectors.registrations_awaiting_filing``."""

    class Meta:
        proxy = True
        verbose_name = _("registration awaiting filing")
        verbose_name_plural = _("registrations awaiting filing")
