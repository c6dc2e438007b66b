"""Users and their roles.

Each user has exactly one ``role``. The role, with the fields it needs
(its ``county``, and its ``authority``, ``street`` or ``institution``), decides what the user may see and
change. What it may see is resolved once, by ``luchen_care.core.scope.scope_for``, and
every model's ``visible_to`` applies that scope through the path the model declares; what
it may change is decided by the owning app (``registry.permissions``).
"""

import hashlib
import re

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from luchen_care.core.scope import ScopedQuerySet, ScopePath

# The roles are defined apart from the models: the scope resolver reads them while the models load.
from .roles import COUNTY_ROLES, STAFF_ROLES, Authority, Role  # noqa: F401

# A mainland mobile number: what an SMS reaches.
PHONE = re.compile(r"^1[3-9]\d{9}$")


def _role_reference(model, verbose_name, help_text):
    """The record a role needs (its county, street or institution): empty for the other roles."""
    return models.ForeignKey(
        model,
        verbose_name=verbose_name,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
        help_text=help_text,
    )


class User(AbstractUser):
    role = models.CharField(_("role"), max_length=32, choices=Role.choices, blank=True)
    county = _role_reference(
        "regions.County",
        _("county"),
        _("The county of a health-bureau, education-bureau or registration-authority user."),
    )
    city_code = models.CharField(
        _("city code"),
        max_length=4,
        blank=True,
        help_text=_("Only for city health commission users: the city's four-digit division code (e.g. 3303)."),
    )
    authority = models.CharField(
        _("registration authority"),
        max_length=32,
        choices=Authority.choices,
        blank=True,
        help_text=_("Only for registration-authority users."),
    )
    street = _role_reference("registry.Street", _("street"), _("Only for street-office users."))
    institution = _role_reference("registry.Institution", _("institution"), _("Only for institution users."))
    # An API client's granted scope; empty means every county / street / kind of the deployment.
    scope_counties = models.ManyToManyField(
        "regions.County",
        verbose_name=_("API scope: counties"),
        blank=True,
        related_name="+",
        help_text=_("API clients only: limit the client to these counties (empty: all counties)."),
    )
    scope_streets = models.ManyToManyField(
        "registry.Street",
        verbose_name=_("API scope: streets"),
        blank=True,
        related_name="+",
        help_text=_("API clients only: limit the client to these streets (empty: all streets)."),
    )
    county_administrator = models.BooleanField(
        _("county administrator"),
        default=False,
        help_text=_(
            "Only for health-bureau users: lets this user manage its county's accounts (bureau staff, "
            "street offices, institutions, API clients) without being a superuser. Only a superuser grants it."
        ),
    )
    phone = models.CharField(
        _("mobile phone"),
        max_length=20,
        blank=True,
        help_text=_("Only for institution users: where a password-reset code or link is sent by SMS."),
    )
    institution_administrator = models.BooleanField(
        _("institution's administrator"),
        default=False,
        help_text=_(
            "Only for institution users: this person invites, removes and hands over the accounts of its "
            "institution's colleagues in the portal."
        ),
    )
    scope_kinds = models.JSONField(
        _("API scope: institution kinds"),
        default=list,
        blank=True,
        help_text=_("API clients only: limit the client to these kinds (empty: all kinds)."),
    )
    scope_personal_data = models.BooleanField(
        _("API scope: personal data"),
        default=False,
        help_text=_(
            "API clients only: the client receives personal fields (legal representative, contact phone) "
            "in full; without it they are masked."
        ),
    )
    grant_filing = models.BooleanField(
        _("may submit filings for the institutions in its grant"),
        default=False,
        help_text=_(
            "API clients only: the client fills in, submits and withdraws the filings (备案) of the institutions "
            "its scope reaches, as the institution itself would."
        ),
    )
    # Every change to an account (its role, county, street, institution, API grant, active flag…)
    # with its old and new values, who made it and when; never its password or its last login.
    history = HistoricalRecords(
        verbose_name=_("historical user"),
        excluded_fields=["password", "last_login"],
        m2m_fields=[scope_counties, scope_streets],
        user_model="accounts.User",
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    # The history shows a granted kind by its label (``luchen_care.core.history``).
    history_choices = {"scope_kinds": lambda: User.institution_kinds()}

    @classmethod
    def institution_kinds(cls):
        """The institution kinds (value, label), read through the app registry: accounts is below the
        registry and imports none of it."""
        return cls._meta.get_field("institution").related_model._meta.get_field("kind").flatchoices

    def save(self, *args, **kwargs):
        # A sign-in (last_login) or a password change of its own writes nothing the history keeps:
        # no empty row in the account's history on each sign-in.
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and set(update_fields) <= {"password", "last_login"}:
            self.skip_history_when_saving = True
            try:
                return super().save(*args, **kwargs)
            finally:
                del self.skip_history_when_saving
        return super().save(*args, **kwargs)

    def clean(self):
        super().clean()
        errors = {}
        if not self.role and not self.is_superuser:
            errors["role"] = _("Choose a role for this user.")
        if self.role in COUNTY_ROLES and not self.county_id:
            errors["county"] = _("A user of this role needs its county.")
        if self.role not in COUNTY_ROLES and self.county_id:
            errors["county"] = _("Only health-bureau, education-bureau and registration-authority users have a county.")
        if self.scope_personal_data and self.role != Role.API_CLIENT:
            errors["scope_personal_data"] = _(
                "Only an API client's grant names personal data; other roles read by their role."
            )
        if self.grant_filing and self.role != Role.API_CLIENT:
            errors["grant_filing"] = _("Only an API client is granted filing; institution users file by their role.")
        if self.role == Role.CITY_HEALTH_COMMISSION and not (len(self.city_code) == 4 and self.city_code.isdigit()):
            errors["city_code"] = _("A city health commission user needs its city's four-digit division code.")
        if self.role != Role.CITY_HEALTH_COMMISSION and self.city_code:
            errors["city_code"] = _("Only city health commission users have a city.")
        if self.role == Role.REGISTRATION_AUTHORITY and not self.authority:
            errors["authority"] = _("A registration-authority user needs its authority.")
        if self.role != Role.REGISTRATION_AUTHORITY and self.authority:
            errors["authority"] = _("Only registration-authority users have an authority.")
        if self.role == Role.STREET_OFFICE and not self.street_id:
            errors["street"] = _("A street-office user needs its street.")
        if self.role != Role.STREET_OFFICE and self.street_id:
            errors["street"] = _("Only street-office users have a street.")
        if self.role == Role.INSTITUTION and not self.institution_id:
            errors["institution"] = _("An institution user needs its institution.")
        if self.role != Role.INSTITUTION and self.institution_id:
            errors["institution"] = _("Only institution users have an institution.")
        if self.county_administrator and not (self.role == Role.HEALTH_BUREAU and self.county_id):
            errors["county_administrator"] = _("Only a health-bureau user with its county can administer its county.")
        self.phone = "".join((self.phone or "").split())
        if self.phone and not PHONE.match(self.phone):
            errors["phone"] = _("Enter a mainland mobile number of 11 digits, e.g. 13812345678.")
        if self.institution_administrator and not (self.role == Role.INSTITUTION and self.institution_id):
            errors["institution_administrator"] = _("Only an institution user can be its institution's administrator.")
        if self.role != Role.API_CLIENT and self.scope_kinds:
            errors["scope_kinds"] = _("Only API clients have a scope.")
        elif self.scope_kinds:
            kinds = [value for value, _label in self.institution_kinds()]
            if isinstance(self.scope_kinds, list):
                unknown = [k for k in self.scope_kinds if k not in kinds]
            else:
                unknown = [self.scope_kinds]
            if unknown:
                errors["scope_kinds"] = _("Give a list of institution kinds, from: %(kinds)s.") % {
                    "kinds": ", ".join(kinds)
                }
        if errors:
            raise ValidationError(errors)

    @property
    def sees_everything(self):
        """A superuser, or a health bureau: every record of its county (``scope_for`` adds the county)."""
        return self.is_active and (self.is_superuser or self.role == Role.HEALTH_BUREAU)


def api_token_hash(key: str) -> str:
    """The stored form of a token's key: its SHA-256, in hex (the key itself is never stored)."""
    return hashlib.sha256(key.encode()).hexdigest()


class ApiTokenState(models.TextChoices):
    LIVE = "live", _("Live")
    EXPIRING = "expiring", _("Replaced, valid until the overlap ends")
    EXPIRED = "expired", _("Expired")
    REVOKED = "revoked", _("Revoked")


class ApiTokenQuerySet(models.QuerySet):
    def usable(self, now):
        """Tokens that still authenticate at ``now``: not revoked, not expired (live or in overlap)."""
        return self.filter(revoked_at__isnull=True, expires_at__gt=now)

    def live(self, now):
        """Usable tokens not replaced by a rotation: at most one per user and name."""
        return self.usable(now).filter(rotated_at__isnull=True)


class ApiToken(models.Model):
    """A named, expiring, revocable API token of one account (``Authorization: Token <key>``).

    The key is shown once, when the token is issued (``services.api_token_issue``); only its
    SHA-256 (``key_hash``) and its first characters (``prefix``, to tell tokens apart in a list)
    are stored. A rotation (``services.api_token_rotate``) issues a successor with the same name
    (``replaces`` links it to this one) and shortens this one's ``expires_at`` to the overlap.
    """

    user = models.ForeignKey(User, verbose_name=_("account"), on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(
        _("client system"),
        max_length=100,
        help_text=_("The system that uses this token, e.g. 区大数据管理中心. One live token per name and account."),
    )
    prefix = models.CharField(_("key prefix"), max_length=8, editable=False)
    key_hash = models.CharField(_("key hash"), max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("issued at"), default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        User,
        verbose_name=_("issued by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    expires_at = models.DateTimeField(_("expires at"))
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True, editable=False)
    rotated_at = models.DateTimeField(_("replaced at"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True, editable=False)
    revoked_by = models.ForeignKey(
        User,
        verbose_name=_("revoked by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    replaces = models.OneToOneField(
        "self",
        verbose_name=_("replaces"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="replaced_by",
        editable=False,
    )
    # Issue, rotation and revocation with who and when, old → new; never the hash, nor each use.
    history = HistoricalRecords(
        verbose_name=_("historical API token"),
        excluded_fields=["key_hash", "last_used_at"],
        user_model="accounts.User",
    )

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        # Never the key: the admin writes this into its log and its pages.
        return _("%(name)s of %(user)s") % {"name": self.name, "user": self.user}

    def state(self, now=None):
        now = now or timezone.now()
        if self.revoked_at is not None:
            return ApiTokenState.REVOKED
        if self.expires_at <= now:
            return ApiTokenState.EXPIRED
        if self.rotated_at is not None:
            return ApiTokenState.EXPIRING
        return ApiTokenState.LIVE

    def get_state_display(self):
        return self.state().label


def link_token_hash(token: str) -> str:
    """The stored form of a one-time link's token (an invitation, a password reset): its SHA-256."""
    return hashlib.sha256(token.encode()).hexdigest()


class LinkState(models.TextChoices):
    LIVE = "live", _("Waiting to be used")
    USED = "used", _("Used")
    EXPIRED = "expired", _("Expired")
    REVOKED = "revoked", _("Revoked")


class OneTimeLinkQuerySet(models.QuerySet):
    def live(self, now):
        """Links that still work at ``now``: neither used, revoked nor expired."""
        return self.filter(used_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now)


class InvitationQuerySet(ScopedQuerySet, OneTimeLinkQuerySet):
    """Invitations and password resets: seen as their institution is (the bureaus, its administrator)."""


class OneTimeLink(models.Model):
    """What invitations and password resets share: a token known only to whoever received the link
    (only its SHA-256 is stored, so a link cannot be shown again), an expiry, one use, a revocation."""

    token_hash = models.CharField(_("token hash"), max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("issued at"), default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        User,
        verbose_name=_("issued by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    expires_at = models.DateTimeField(_("expires at"), editable=False)
    used_at = models.DateTimeField(_("used at"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True, editable=False)
    revoked_by = models.ForeignKey(
        User,
        verbose_name=_("revoked by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )

    class Meta:
        abstract = True

    def state(self, now=None):
        now = now or timezone.now()
        if self.used_at is not None:
            return LinkState.USED
        if self.revoked_at is not None:
            return LinkState.REVOKED
        if self.expires_at <= now:
            return LinkState.EXPIRED
        return LinkState.LIVE

    def get_state_display(self):
        return self.state().label


class Invitation(OneTimeLink):
    """A one-time link inviting a named person to open an account of ``institution`` in the portal,
    as its administrator or as a colleague (``services.invitation_issue``; accepted by
    ``services.invitation_accept``). Re-issuing revokes the link it replaces."""

    institution = models.ForeignKey(
        "registry.Institution", verbose_name=_("institution"), on_delete=models.PROTECT, related_name="invitations"
    )
    name = models.CharField(_("name"), max_length=100, help_text=_("The person invited, as on their ID card."))
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("mobile phone"), max_length=20, blank=True)
    administrator = models.BooleanField(
        _("as the institution's administrator"),
        default=False,
        help_text=_("The administrator manages its colleagues' accounts; otherwise the person joins as a colleague."),
    )
    user = models.ForeignKey(
        User,
        verbose_name=_("account opened"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    replaces = models.OneToOneField(
        "self",
        verbose_name=_("replaces"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="replaced_by",
        editable=False,
    )
    # Issue, use and revocation with who and when; never the token's hash.
    history = HistoricalRecords(
        verbose_name=_("historical invitation"), excluded_fields=["token_hash"], user_model="accounts.User"
    )

    scope = ScopePath(institution="institution")
    objects = InvitationQuerySet.as_manager()

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return _("Invitation of %(name)s to %(institution)s") % {"name": self.name, "institution": self.institution}

    def clean(self):
        super().clean()
        errors = {}
        self.phone = "".join((self.phone or "").split())
        if self.phone and not PHONE.match(self.phone):
            errors["phone"] = _("Enter a mainland mobile number of 11 digits, e.g. 13812345678.")
        if not self.name.strip():
            errors["name"] = _("Give the invited person's name.")
        if errors:
            raise ValidationError(errors)


class PasswordReset(OneTimeLink):
    """A one-time link that sets a new password of ``user`` (``services.password_reset_request``, by
    the person; ``services.password_reset_start``, by the bureau). A new one revokes the older."""

    user = models.ForeignKey(User, verbose_name=_("account"), on_delete=models.CASCADE, related_name="+")
    history = HistoricalRecords(
        verbose_name=_("historical password reset"), excluded_fields=["token_hash"], user_model="accounts.User"
    )

    # Seen as the account's institution is (the outbox's rows about it, the bureau's pages).
    scope = ScopePath(
        institution="user__institution",
        head_office="user__institution__head_office",
        street="user__institution__street",
        kind="user__institution__kind",
        authority="user__institution__registration_authority",
        county="user__institution__street__county",
    )
    objects = InvitationQuerySet.as_manager()

    class Meta:
        verbose_name = _("password reset")
        verbose_name_plural = _("password resets")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return _("Password reset of %(user)s") % {"user": self.user}
