"""Filings (备案) with the county health bureau (nursery classes: the education bureau), in sections.

A filing is a set of sections, each with its own status, so an institution sees what is left
and a reviewer can return one section (the OFS-MORE pattern). Its status changes only through
the named transitions of ``registry.services.filings``, each recorded as a ``FilingTransition``
(who, when, from, to, comment). The legal deadlines are working-day dates counted from the
day after submission by the ``FilingDeadlinePolicy`` row in force; the filing keeps the row
it used.
"""

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from luchen_care.accounts.roles import Role
from luchen_care.core.models import AuditedModel
from luchen_care.core.policy import DatedPolicy
from luchen_care.core.scope import ScopedQuerySet, ScopePath

from .institutions import Institution
from .registrations import Registration


class FilingKind(models.TextChoices):
    INITIAL = "initial", _("Filing")
    CHANGE = "change", _("Change filing")
    CLOSURE = "closure", _("Closure filing")


class FilingStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    UNDER_REVIEW = "under_review", _("Under review")
    SITE_CHECK = "site_check", _("On-site check")
    RETURNED = "returned", _("Returned for changes")
    RESUBMITTED = "resubmitted", _("Resubmitted")
    FILED = "filed", _("Filed")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


#: Waiting for the bureau: the deadlines run.
AWAITING_BUREAU = (FilingStatus.SUBMITTED, FilingStatus.RESUBMITTED, FilingStatus.UNDER_REVIEW, FilingStatus.SITE_CHECK)
#: Waiting for the institution: it may change sections and upload materials.
AWAITING_INSTITUTION = (FilingStatus.DRAFT, FilingStatus.RETURNED)
#: The longest comment, reason or answer a step keeps (a return's comment per section).
COMMENT_MAX = 2000
#: Decided or withdrawn: nothing changes afterwards.
FINAL = (FilingStatus.FILED, FilingStatus.REJECTED, FilingStatus.WITHDRAWN)


class FilingStep(models.TextChoices):
    """The named transitions of a filing (``registry.services.filings``)."""

    OPEN = "open", _("Opened")
    SUBMIT = "submit", _("Submitted")
    RESUBMIT = "resubmit", _("Resubmitted")
    START_REVIEW = "start_review", _("Review started")
    START_SITE_CHECK = "start_site_check", _("On-site check started")
    RETURN = "return", _("Returned for changes")
    APPROVE = "approve", _("Approved")
    REJECT = "reject", _("Rejected")
    WITHDRAW = "withdraw", _("Withdrawn")


class SectionKey(models.TextChoices):
    BASIC = "basic", _("Basic information")
    PREMISES = "premises", _("Premises")
    CLASSES = "classes", _("Classes and places")
    STAFF = "staff", _("Staff summary")
    SAFETY = "safety", _("Safety and hygiene")
    FOOD = "food", _("Food")
    FEES = "fees", _("Fees")
    COMMITMENT = "commitment", _("Signed commitment")
    PLACEMENT = "placement", _("Placement of the children")


class SectionStatus(models.TextChoices):
    NOT_STARTED = "not_started", _("Not started")
    DRAFT = "draft", _("Draft")
    COMPLETE = "complete", _("Complete")
    RETURNED = "returned", _("Returned")
    ACCEPTED = "accepted", _("Accepted")


class FilingMaterial(models.TextChoices):
    """What each uploaded file of a section is (``StoredFile.purpose``; the subject is the section)."""

    LICENCE = "filing.licence", _("Business licence or legal-person certificate")
    PREMISES_PROOF = "filing.premises_proof", _("Property certificate or lease contract")
    STAFF_CERTIFICATES = "filing.staff_certificates", _("Staff qualification and health certificates")
    HYGIENE_REPORT = "filing.hygiene_report", _("Hygiene evaluation report (rated 合格)")
    FIRE_SAFETY = "filing.fire_safety", _("Fire-safety inspection pass")
    FOOD_LICENCE = "filing.food_licence", _("Food business licence")
    FEE_NOTICE = "filing.fee_notice", _("Published fee notice")
    COMMITMENT = "filing.commitment", _("Signed filing commitment (备案承诺书)")
    PLACEMENT_LIST = "filing.placement_list", _("List of the children's placements")
    OTHER = "filing.other", _("Other material")


#: The sections of each kind of filing, in the order the institution fills them.
SECTIONS_OF = {
    FilingKind.INITIAL: (
        SectionKey.BASIC,
        SectionKey.PREMISES,
        SectionKey.CLASSES,
        SectionKey.STAFF,
        SectionKey.SAFETY,
        SectionKey.FOOD,
        SectionKey.FEES,
        SectionKey.COMMITMENT,
    ),
    FilingKind.CLOSURE: (SectionKey.PLACEMENT, SectionKey.COMMITMENT),
}
SECTIONS_OF[FilingKind.CHANGE] = SECTIONS_OF[FilingKind.INITIAL]

#: The materials each section accepts; the required ones (the domain notes' list) come first.
#: Food's licence is required only when the institution serves meals (``section_materials_required``).
MATERIALS_OF = {
    SectionKey.BASIC: ((FilingMaterial.LICENCE, True), (FilingMaterial.OTHER, False)),
    SectionKey.PREMISES: ((FilingMaterial.PREMISES_PROOF, True),),
    SectionKey.CLASSES: (),
    SectionKey.STAFF: ((FilingMaterial.STAFF_CERTIFICATES, True),),
    SectionKey.SAFETY: ((FilingMaterial.HYGIENE_REPORT, True), (FilingMaterial.FIRE_SAFETY, True)),
    SectionKey.FOOD: ((FilingMaterial.FOOD_LICENCE, True),),
    SectionKey.FEES: ((FilingMaterial.FEE_NOTICE, False),),
    SectionKey.COMMITMENT: ((FilingMaterial.COMMITMENT, True),),
    SectionKey.PLACEMENT: ((FilingMaterial.PLACEMENT_LIST, False),),
}


class FilingDeadlinePolicy(DatedPolicy):
    """The bureau's two legal deadlines for a filing, in working days counted from the day after
    submission (the 托育机构登记和备案办法: a receipt within 5, a notice of non-compliance within 15),
    and whether an on-site check (现场核查) sits between review and decision: the switch a
    licensing regime (the draft 托育服务法) turns on without a code change."""

    receipt_working_days = models.PositiveSmallIntegerField(
        _("receipt within (working days)"), validators=[MinValueValidator(1)]
    )
    notice_working_days = models.PositiveSmallIntegerField(
        _("notice of non-compliance within (working days)"), validators=[MinValueValidator(1)]
    )
    site_check_required = models.BooleanField(
        _("on-site check before the decision"),
        default=False,
        help_text=_("On: a filing submitted from this day is checked on site (现场核查) before it is approved."),
    )
    history = HistoricalRecords(verbose_name=_("historical filing deadline rule"), excluded_fields=["modified_at"])

    scope = ScopePath.reference(county="county", shared_when_empty=True)
    objects = ScopedQuerySet.as_manager()

    class Meta(DatedPolicy.Meta):
        verbose_name = _("filing deadline rule")
        verbose_name_plural = _("filing deadline rules")
        constraints = [
            *DatedPolicy.Meta.constraints,
            models.CheckConstraint(
                condition=Q(receipt_working_days__gte=1) & Q(notice_working_days__gte=1),
                name="registry_filingdeadline_days_positive",
            ),
        ]

    def __str__(self):
        return _("receipt %(receipt)d, notice %(notice)d working days from %(day)s") % {
            "receipt": self.receipt_working_days,
            "notice": self.notice_working_days,
            "day": self.effective_from,
        }


class GuidedFeePolicy(DatedPolicy):
    """The government-guided monthly fee range (政府指导价) that public and inclusive (普惠)
    institutions follow (plan task 10), in yuan a month for full-day and half-day care.
    A filed fee above the range is flagged to the reviewer."""

    full_day_min = models.DecimalField(_("full day, lowest (yuan a month)"), max_digits=12, decimal_places=2)
    full_day_max = models.DecimalField(_("full day, highest (yuan a month)"), max_digits=12, decimal_places=2)
    half_day_min = models.DecimalField(_("half day, lowest (yuan a month)"), max_digits=12, decimal_places=2)
    half_day_max = models.DecimalField(_("half day, highest (yuan a month)"), max_digits=12, decimal_places=2)
    history = HistoricalRecords(verbose_name=_("historical guided fee range"), excluded_fields=["modified_at"])

    scope = ScopePath.reference(county="county", shared_when_empty=True)
    objects = ScopedQuerySet.as_manager()

    class Meta(DatedPolicy.Meta):
        verbose_name = _("guided fee range")
        verbose_name_plural = _("guided fee ranges")
        constraints = [
            *DatedPolicy.Meta.constraints,
            models.CheckConstraint(
                condition=Q(full_day_min__lte=models.F("full_day_max"))
                & Q(half_day_min__lte=models.F("half_day_max"))
                & Q(full_day_min__gte=0)
                & Q(half_day_min__gte=0),
                name="registry_guidedfee_range_ordered",
            ),
        ]

    def __str__(self):
        return _("full day %(low)s–%(high)s yuan from %(day)s") % {
            "low": self.full_day_min,
            "high": self.full_day_max,
            "day": self.effective_from,
        }


class FilingQuerySet(ScopedQuerySet):
    """Filings; ``visible_to(user)`` through the institution (``Filing.scope``)."""

    def awaiting_bureau(self):
        return self.filter(status__in=AWAITING_BUREAU)

    def reviewed_by(self, user):
        """The filings ``user``'s bureau reviews: nursery classes the education bureau's, the rest the
        health bureau's (a superuser reviews both); scoped to the user's counties as well."""
        rows = self.visible_to(user)
        if user.is_superuser:
            return rows
        if user.role in (Role.HEALTH_BUREAU, Role.EDUCATION_BUREAU):
            return rows.filter(review_body=user.role)
        return rows.none()


class Filing(AuditedModel):
    """One filing (备案) of an institution, or a change (变更) or closure (注销) filing after it."""

    REVIEW_BODIES = [
        (Role.HEALTH_BUREAU, Role.HEALTH_BUREAU.label),
        (Role.EDUCATION_BUREAU, Role.EDUCATION_BUREAU.label),
    ]

    institution = models.ForeignKey(
        Institution, verbose_name=_("institution"), on_delete=models.PROTECT, related_name="filings"
    )
    kind = models.CharField(_("kind of filing"), max_length=10, choices=FilingKind.choices)
    registration = models.ForeignKey(
        Registration,
        verbose_name=_("registration"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="filings",
        help_text=_("The registration this filing follows; approving it closes its “awaiting filing” entry."),
    )
    previous = models.ForeignKey(
        "self",
        verbose_name=_("filing it changes"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    review_body = models.CharField(_("reviewed by"), max_length=32, choices=REVIEW_BODIES)
    status = models.CharField(
        _("status"), max_length=14, choices=FilingStatus.choices, default=FilingStatus.DRAFT, db_index=True
    )
    number = models.CharField(
        _("filing number"),
        max_length=20,
        blank=True,
        db_index=True,
        help_text=_(
            "Year, the county's six-digit division code and a sequence: YYYY-CCCCCC-NNNN. A change filing keeps it."
        ),
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    clock_started_on = models.DateField(
        _("deadlines counted from"),
        null=True,
        blank=True,
        help_text=_("The day of the latest submission (Asia/Shanghai); the day itself does not count."),
    )
    receipt_deadline = models.DateField(_("receipt due"), null=True, blank=True, db_index=True)
    notice_deadline = models.DateField(_("notice of non-compliance due"), null=True, blank=True)
    deadlines_provisional = models.BooleanField(
        _("deadlines provisional"),
        default=False,
        help_text=_("Counted Monday to Friday because the official holiday calendar for that year is not known yet."),
    )
    deadline_rule = models.ForeignKey(
        FilingDeadlinePolicy,
        verbose_name=_("deadline rule"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="filings",
    )
    site_check_required = models.BooleanField(_("on-site check required"), default=False)
    fee_rule = models.ForeignKey(
        GuidedFeePolicy,
        verbose_name=_("guided fee range compared"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="filings",
    )
    fee_above_guided = models.BooleanField(
        _("fee above the guided range"),
        default=False,
        help_text=_("A public or inclusive institution's fee above the guided range in force at submission."),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decision_comment = models.TextField(_("decision comment"), blank=True)

    history = HistoricalRecords(
        verbose_name=_("historical filing"), excluded_fields=["modified_at"], user_model=settings.AUTH_USER_MODEL
    )

    scope = ScopePath(institution="institution")
    objects = FilingQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("filing")
        verbose_name_plural = _("filings")
        constraints = [
            # One open filing of an institution at a time.
            models.UniqueConstraint(
                fields=["institution"],
                condition=~Q(status__in=["filed", "rejected", "withdrawn"]),
                name="uniq_open_filing_per_institution",
            ),
            # A number is given once, by the first filing; change filings repeat it.
            models.UniqueConstraint(
                fields=["number"],
                condition=Q(kind="initial") & ~Q(number=""),
                name="uniq_filing_number",
            ),
        ]
        indexes = [
            models.Index(fields=["review_body", "status", "receipt_deadline"], name="registry_filing_queue_idx"),
        ]

    def __str__(self):
        label = self.number or self.get_status_display()
        return f"{self.institution} · {self.get_kind_display()} ({label})"

    @property
    def is_open_to_institution(self):
        return self.status in AWAITING_INSTITUTION

    @property
    def awaits_bureau(self):
        return self.status in AWAITING_BUREAU


class FilingSection(models.Model):
    """One section of a filing: what the institution entered (``data``, as its section form cleaned
    it), its status and the reviewer's comment. Its materials are ``StoredFile`` rows whose subject
    is the section."""

    filing = models.ForeignKey(Filing, verbose_name=_("filing"), on_delete=models.CASCADE, related_name="sections")
    key = models.CharField(_("section"), max_length=12, choices=SectionKey.choices)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    status = models.CharField(
        _("status"), max_length=12, choices=SectionStatus.choices, default=SectionStatus.NOT_STARTED
    )
    data = models.JSONField(_("data"), default=dict, blank=True)
    review_comment = models.TextField(_("reviewer's comment"), blank=True)
    modified_at = models.DateTimeField(_("modified at"), null=True, blank=True)
    modified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("modified by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    history = HistoricalRecords(verbose_name=_("historical filing section"), user_model=settings.AUTH_USER_MODEL)

    scope = ScopePath(institution="filing__institution")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["filing", "position"]
        verbose_name = _("filing section")
        verbose_name_plural = _("filing sections")
        constraints = [models.UniqueConstraint(fields=["filing", "key"], name="uniq_filing_section")]

    def __str__(self):
        return f"{self.get_key_display()} ({self.get_status_display()})"

    @property
    def editable(self):
        """The institution may change it: the filing waits for it, and the section is not accepted."""
        return self.filing.is_open_to_institution and self.status != SectionStatus.ACCEPTED


class FilingTransition(models.Model):
    """One step of a filing, as recorded: who, when, from, to and the comment. Never changed afterwards."""

    filing = models.ForeignKey(Filing, verbose_name=_("filing"), on_delete=models.CASCADE, related_name="transitions")
    name = models.CharField(_("step"), max_length=20, choices=FilingStep.choices)
    source = models.CharField(_("from status"), max_length=14, choices=FilingStatus.choices, blank=True)
    target = models.CharField(_("to status"), max_length=14, choices=FilingStatus.choices)
    comment = models.TextField(_("comment"), blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    scope = ScopePath(institution="filing__institution")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["filing", "recorded_at", "id"]
        verbose_name = _("filing step")
        verbose_name_plural = _("filing steps")

    def __str__(self):
        return f"{self.filing_id}: {self.get_name_display()}"
