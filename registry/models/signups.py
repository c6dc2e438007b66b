"""An institution's self-service sign-up to the portal (机构自助注册), and the account it leaves pending."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from luchen_care.core.scope import ScopedQuerySet, ScopePath

from .institutions import Institution
from .registrations import Registration


class SignupState(models.TextChoices):
    PENDING = "pending", _("Awaiting activation")
    ACTIVATED = "activated", _("Activated")
    REJECTED = "rejected", _("Rejected")
    EXPIRED = "expired", _("Expired")


class SignupStep(models.TextChoices):
    """The named transitions of a sign-up (``registry.services.signups``); each leaves it final."""

    CONFIRM = "confirm", _("Activated with the code sent to the phone on record")
    ACTIVATE = "activate", _("Activated by the bureau")
    REJECT = "reject", _("Rejected by the bureau")
    EXPIRE = "expire", _("Expired")


class PortalSignup(models.Model):
    """One sign-up of an institution to the portal with its credit code, registration number and phone.

    Knowing those three never yields a session: ``account`` stays inactive while the sign-up is
    *pending*, until the bureau activates it, or until the one-time code sent to the phone on
    record (never to a number typed in the form) is entered. Its state changes only through the
    transitions of ``registry.services.signups``, each recorded here (step, who, when, comment)
    and in its history. At most one sign-up of an institution is pending at a time.
    """

    institution = models.ForeignKey(
        Institution, verbose_name=_("institution"), on_delete=models.PROTECT, related_name="portal_signups"
    )
    registration = models.ForeignKey(
        Registration,
        verbose_name=_("registration matched"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The registration whose number was given."),
    )
    account = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account"),
        on_delete=models.PROTECT,
        related_name="portal_signup",
        help_text=_("The institution account created inactive by the sign-up."),
    )
    phone_typed = models.CharField(_("phone given"), max_length=20)
    code_sent_to = models.CharField(
        _("code sent to"),
        max_length=20,
        blank=True,
        help_text=_("The phone on record the one-time code was sent to; empty when no code was sent."),
    )
    state = models.CharField(
        _("state"), max_length=12, choices=SignupState.choices, default=SignupState.PENDING, db_index=True
    )
    # The one-time code is kept only as a keyed hash (``services.signups.code_hash``).
    code_hash = models.CharField(_("code hash"), max_length=64, blank=True, editable=False)
    code_expires_at = models.DateTimeField(_("code valid until"), null=True, blank=True)
    code_attempts = models.PositiveSmallIntegerField(_("wrong codes entered"), default=0)
    client_address = models.CharField(_("signed up from"), max_length=45, blank=True)
    created_at = models.DateTimeField(_("signed up at"), default=timezone.now, editable=False)
    step = models.CharField(_("step"), max_length=12, choices=SignupStep.choices, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    comment = models.TextField(_("comment"), blank=True)

    history = HistoricalRecords(
        verbose_name=_("historical portal sign-up"),
        excluded_fields=["code_hash"],
        user_model=settings.AUTH_USER_MODEL,
    )

    scope = ScopePath(institution="institution")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("portal sign-up")
        verbose_name_plural = _("portal sign-ups")
        constraints = [
            # One sign-up at a time: a second is refused while one is pending.
            models.UniqueConstraint(
                fields=["institution"],
                condition=Q(state="pending"),
                name="uniq_pending_signup_per_institution",
            ),
        ]

    def __str__(self):
        return f"{self.institution}: {self.account.username}"

    @property
    def awaits_code(self):
        """Pending with a code sent: the code page accepts it until it expires."""
        return self.state == SignupState.PENDING and bool(self.code_hash)
