"""Writes of the accounts app: an account saved, an API token issued, on behalf of an actor.

A superuser may write any account. A county administrator writes only the accounts it manages
(``selectors.accounts_managed_by``), and only so that they stay its county's accounts: it grants
no privilege (superuser, county administrator, groups, permissions) and the staff flag follows
the role. The admin, and any later face, calls these; hiding a widget is not the rule.
"""

import hashlib
import hmac

from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from luchen_care.core.history import history_save

from .models import COUNTY_ROLES, STAFF_ROLES, Role, User
from .permissions import administers_county_accounts
from .selectors import accounts_managed_by, api_clients_managed_by, totp_device


def _ids(values):
    return {getattr(value, "pk", value) for value in values}


def account_validate(*, actor, account, scope_counties=None, scope_streets=None, groups=(), user_permissions=()):
    """Refuse what ``actor`` may not make of ``account`` (new or changed), before anything is saved.

    ``scope_counties`` and ``scope_streets`` are the API grant the account will have (``None``: the
    one it has); ``groups`` and ``user_permissions``, any the actor asks to give. Raises
    ``PermissionDenied`` when the stored account is not one the actor manages, and a
    ``ValidationError`` keyed by field for each rule broken. Changes nothing.
    """
    if actor.is_superuser:
        return
    if not administers_county_accounts(actor):
        raise PermissionDenied(_("Only a superuser or a county administrator manages accounts."))
    if account.pk is not None and not accounts_managed_by(actor).filter(pk=account.pk).exists():
        raise PermissionDenied(_("This account is not one of your county's accounts."))
    county = actor.county_id
    errors = {}
    if account.is_superuser:
        errors["is_superuser"] = _("Only a superuser can make a superuser.")
    if account.county_administrator:
        errors["county_administrator"] = _("Only a superuser can make a county administrator.")
    if groups or user_permissions:
        errors["groups" if groups else "user_permissions"] = _(
            "Only a superuser gives groups or permissions; the role decides what a user may do."
        )
    if account.role == Role.CITY_HEALTH_COMMISSION:
        errors["role"] = _("A city health commission account is created by a superuser.")
    if account.role in COUNTY_ROLES and account.county_id != county:
        errors["county"] = _("Choose your own county.")
    if account.role == Role.STREET_OFFICE and account.street_id and account.street.county_id != county:
        errors["street"] = _("This street or town is not in your county.")
    if account.role == Role.INSTITUTION and account.institution_id and account.institution.street.county_id != county:
        errors["institution"] = _("This institution is not in your county.")
    if scope_counties is None:
        scope_counties = account.scope_counties.all() if account.pk else []
    if scope_streets is None:
        scope_streets = account.scope_streets.all() if account.pk else []
    counties, streets = _ids(scope_counties), _ids(scope_streets)
    if account.role == Role.API_CLIENT:
        if counties != {county}:
            errors["scope_counties"] = _(
                "An API client of your county is limited to your county: choose your county, and only it."
            )
        street_model = User._meta.get_field("street").related_model
        if street_model.objects.filter(pk__in=streets).exclude(county_id=county).exists():
            errors["scope_streets"] = _("Choose streets and towns of your county only.")
    else:
        if counties:
            errors["scope_counties"] = _("Only API clients have a scope.")
        if streets:
            errors["scope_streets"] = _("Only API clients have a scope.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def account_save(*, actor, account, scope_counties=None, scope_streets=None):
    """Validate and save ``account`` (new or changed) on behalf of ``actor``; set its API grant when given.

    A county administrator's account keeps the staff flag its role needs (bureau staff and street
    offices work in the admin; institutions and API clients do not). The admin's log records who
    changed what (``LogEntry``), as for every admin change. The account's history keeps the change
    as one row, its grant included, and a save that changes nothing adds none (``history_save``).
    """
    account_validate(actor=actor, account=account, scope_counties=scope_counties, scope_streets=scope_streets)
    if not actor.is_superuser:
        account.is_staff = account.role in STAFF_ROLES
    account.full_clean()
    return history_save(account, m2m={"scope_counties": scope_counties, "scope_streets": scope_streets})


def api_token_validate(*, actor, client):
    """Refuse a token for ``client`` unless ``actor`` manages it (a county administrator: its API clients)."""
    if actor.is_superuser:
        return
    if client is None or not api_clients_managed_by(actor).filter(pk=client.pk).exists():
        raise ValidationError({"user": _("Choose an API client of your county.")})


@transaction.atomic
def api_token_issue(*, actor, token):
    """Save the new API ``token`` of its user on behalf of ``actor`` (its key is generated on save)."""
    api_token_validate(actor=actor, client=token.user if token.user_id else None)
    token.save()
    return token


@transaction.atomic
def account_unlock(*, actor, accounts) -> int:
    """Lift the login lockout of ``accounts`` (a superuser's or a county administrator's own
    accounts only): their failed attempts are forgotten, from every address. Returns how many of
    them were locked or had failures. The unlock is recorded in the admin log by the caller."""
    accounts = list(accounts)
    managed = set(accounts_managed_by(actor).filter(pk__in=[a.pk for a in accounts]).values_list("pk", flat=True))
    if any(account.pk not in managed for account in accounts):
        raise PermissionDenied(_("This account is not one of your county's accounts."))
    usernames = [account.username for account in accounts]
    attempts = AccessAttempt.objects.filter(username__in=usernames)
    had = set(attempts.values_list("username", flat=True))
    attempts.delete()
    return len(had)


# --- Two-factor sign-in (django-otp) ----------------------------------------------------------
# An authenticator app (a TOTP device) and ten single-use recovery codes (a static device). A wrong
# code counts as a failed sign-in for the login limits (``accounts.lockout``), like a wrong password.


def _normalised(code) -> str:
    return "".join(str(code or "").split()).replace("-", "").lower()


def _recovery_digest(code) -> str:
    """What is stored of a recovery code: a keyed digest (django-otp's token field holds 16
    characters), never the code itself."""
    return hmac.new(settings.SECRET_KEY.encode(), f"recovery:{code}".encode(), hashlib.sha256).hexdigest()[:16]


def second_factor_verify(request, user, code):
    """The device that accepts ``code`` (six digits: the authenticator; otherwise a recovery code,
    used up), or ``None``. A code refused is recorded as a failed sign-in of ``user`` from ``request``'s
    address, so guessing codes locks out like guessing passwords."""
    code = _normalised(code)
    device = None
    if code:
        with transaction.atomic():
            if code.isdigit() and len(code) == 6:
                candidates = TOTPDevice.objects.filter(user=user, confirmed=True).select_for_update()
            else:
                candidates = StaticDevice.objects.filter(user=user, confirmed=True).select_for_update()
                code = _recovery_digest(code)
            device = next((candidate for candidate in candidates if candidate.verify_token(code)), None)
    if device is None:
        user_login_failed.send(sender=__name__, credentials={"username": user.get_username()}, request=request)
    return device


def totp_enrolment_start(user):
    """The authenticator being enrolled: the one begun and not yet confirmed (so a page reloaded
    shows the same QR code), or a new one."""
    device = totp_device(user, confirmed=False)
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=_("Authenticator app"), confirmed=False)
    return device


def recovery_codes_issue(user) -> list[str]:
    """New recovery codes for ``user`` (``RECOVERY_CODE_COUNT``; those it had are void), returned once
    to show. Each works once, in place of a code from the authenticator."""
    with transaction.atomic():
        StaticDevice.objects.filter(user=user).delete()
        device = StaticDevice.objects.create(user=user, name=_("Recovery codes"), confirmed=True)
        codes = [StaticToken.random_token() for _index in range(settings.RECOVERY_CODE_COUNT)]
        StaticToken.objects.bulk_create([StaticToken(device=device, token=_recovery_digest(code)) for code in codes])
    return codes


def totp_enrolment_confirm(request, user, code) -> list[str] | None:
    """Confirm the authenticator being enrolled with a first code from it: it becomes the user's one
    authenticator, this session counts as signed in with it, and recovery codes are issued and
    returned (once, to show). ``None``, and nothing changed, when the code is wrong."""
    device = totp_device(user, confirmed=False)
    code = _normalised(code)
    if device is None or not (code.isdigit() and len(code) == 6):
        return None
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().get(pk=device.pk)
        if not device.verify_token(code):
            return None
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = recovery_codes_issue(user)
    otp_login(request, device)
    return codes


def two_factor_reset(*, actor, accounts) -> int:
    """Forget the authenticator and recovery codes of ``accounts`` (a lost phone): each enrols again
    at its next sign-in. Only accounts ``actor`` manages, never its own (another administrator resets
    that); returns how many had a second factor."""
    managed = accounts_managed_by(actor).filter(pk__in=[account.pk for account in accounts]).exclude(pk=actor.pk)
    with transaction.atomic():
        count = TOTPDevice.objects.filter(user__in=managed, confirmed=True).values("user").distinct().count()
        TOTPDevice.objects.filter(user__in=managed).delete()
        StaticDevice.objects.filter(user__in=managed).delete()
    return count
