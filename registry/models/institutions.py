"""Childcare institutions, their lifecycle log and their classes."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from luchen_care.accounts.models import Authority
from luchen_care.core.models import ArchivableModel, AuditedModel
from luchen_care.core.scope import ScopedQuerySet, ScopePath

from ..validators import validate_credit_code, validate_phone
from .streets import Street


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


# The lifecycle date each status carries; only the lifecycle steps (``registry.services.institutions``) write them.
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


class InstitutionQuerySet(ScopedQuerySet):
    """Institutions; ``visible_to(user)`` is the user's scope through ``Institution.scope``
    (``luchen_care.core.scope``), which every view, API, export and page uses."""


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

    # What a scope reaches on an institution: itself (and, for its head office, its branches),
    # its street (and that street's county), its kind and the authority it is registered with.
    scope = ScopePath(
        institution="pk",
        head_office="head_office",
        street="street",
        kind="kind",
        authority="registration_authority",
        county="street__county",
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
            # Newest registered first (the admin's column, the API's ordering, the registrars' lists).
            models.Index(fields=["registered_on"], name="registry_inst_registered_idx"),
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
    """The named transitions of an institution's lifecycle (``registry.services.institutions``)."""

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

    scope = ScopePath(institution="institution")
    objects = ScopedQuerySet.as_manager()

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

    scope = ScopePath(institution="institution")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["institution", "class_type"]
        verbose_name = _("class")
        verbose_name_plural = _("classes")
        constraints = [
            models.UniqueConstraint(fields=["institution", "class_type"], name="uniq_institution_class_type"),
        ]

    def __str__(self):
        return f"{self.get_class_type_display()} × {self.class_count}"
