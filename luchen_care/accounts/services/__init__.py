"""Writes of the accounts app: an account saved, its lockout lifted, its API tokens issued,
rotated and revoked, on behalf of an actor.

A superuser may write any account. A county administrator writes only the accounts it manages
(``selectors.accounts_managed_by``), and only so that they stay its county's accounts: it grants
no privilege (superuser, county administrator, groups, permissions) and the staff flag follows
the role. The admin, and any later face, calls these; hiding a widget is not the rule.
"""

import dataclasses
import datetime
import hashlib
import hmac
import secrets

from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from luchen_care.core.history import history_save
from luchen_care.exchange.services import Notice, outbox_enqueue, outbox_keys

from ..models import COUNTY_ROLES, STAFF_ROLES, ApiToken, ApiTokenState, Role, User, api_token_hash
from ..permissions import administers_county_accounts
from ..selectors import accounts_managed_by, api_clients_managed_by, api_tokens_expiring, totp_device


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


# --- API tokens ---------------------------------------------------------------------------------

TOKEN_EXPIRY_TOPIC = "accounts.api_token_expiry"
# ``last_used_at`` is written at most this often per token: a busy client is not a write per request.
LAST_USED_RESOLUTION = datetime.timedelta(minutes=1)
DEFAULT_TOKEN_NAME = "API"


@dataclasses.dataclass(frozen=True)
class IssuedToken:
    """A token just issued, with its key: the only moment the key is known (it is not stored)."""

    token: ApiToken
    key: str


def _may_manage(actor, account_id) -> bool:
    """Whether ``actor`` issues, rotates and revokes the tokens of account ``account_id``: its own,
    a superuser's any, a county administrator's its API clients'."""
    return actor.pk == account_id or actor.is_superuser or api_clients_managed_by(actor).filter(pk=account_id).exists()


def api_token_validate(*, actor, client):
    """Refuse a token of ``client`` unless ``actor`` is that account itself (the password
    exchange), a superuser, or the county administrator of that API client."""
    if client is None or not _may_manage(actor, client.pk):
        raise ValidationError({"user": _("Choose an API client of your county.")})


def _attributed(record, actor):
    # The history row names the actor even where no request is at hand (a task, the shell).
    if actor is not None and actor.pk:
        record._history_user = actor
    return record


def _token_create(*, user, name, actor, now, replaces=None, key=None):
    key = key or secrets.token_hex(20)  # 160 bits, 40 hex digits, as clients have stored them so far
    token = ApiToken(
        user=user,
        name=name,
        prefix=key[:8],
        key_hash=api_token_hash(key),
        created_at=now,
        created_by=actor if actor is not None and actor.pk else None,
        expires_at=now + datetime.timedelta(days=settings.API_TOKEN_TTL_DAYS),
        replaces=replaces,
    )
    token.full_clean()
    _attributed(token, actor).save()
    return IssuedToken(token=token, key=key)


@transaction.atomic
def api_token_issue(*, actor, user, name, now=None, key=None) -> IssuedToken:
    """Issue a new token named ``name`` for ``user``, on behalf of ``actor``; returns it with its key.

    Changes in the world: one ``ApiToken`` (its history row names ``actor``), valid for
    ``API_TOKEN_TTL_DAYS``. The key is returned once and never stored. Refused (field-keyed
    ``ValidationError``, nothing saved) when ``actor`` may not issue ``user``'s tokens
    (``api_token_validate``), the name is empty, or ``user`` has a live token of that name.
    ``key`` is for the demo only (a key it can print again).
    """
    now = now or timezone.now()
    if user is not None:
        User.objects.select_for_update().filter(pk=user.pk).first()  # one issue at a time per account
    name = api_token_issue_validate(actor=actor, user=user, name=name, now=now)
    return _token_create(user=user, name=name, actor=actor, now=now, key=key)


def api_token_issue_validate(*, actor, user, name, now=None) -> str:
    """What ``api_token_issue`` refuses, before anything is saved (the admin's form shows it on
    its fields); returns the name as it will be stored."""
    now = now or timezone.now()
    api_token_validate(actor=actor, client=user)
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Name the client system that uses this token.")})
    if ApiToken.objects.live(now).filter(user=user, name=name).exists():
        raise ValidationError(
            {"name": _("This account already has a live token named “%(name)s”: rotate or revoke it.") % {"name": name}}
        )
    return name


@transaction.atomic
def api_token_exchange(*, user, name="", now=None) -> IssuedToken:
    """The password exchange (``POST /api/v1/auth/token/``): a new token named ``name`` ("API" if
    none) for ``user``, issued by itself. When ``user`` already has a live token of that name, it is
    rotated (``api_token_rotate``): the old key keeps working for the overlap."""
    now = now or timezone.now()
    name = (name or "").strip() or DEFAULT_TOKEN_NAME
    User.objects.select_for_update().filter(pk=user.pk).first()
    current = ApiToken.objects.live(now).filter(user=user, name=name).first()
    if current is not None:
        return api_token_rotate(actor=user, token=current, now=now)
    return api_token_issue(actor=user, user=user, name=name, now=now)


@transaction.atomic
def api_token_rotate(*, actor, token, now=None) -> IssuedToken:
    """Replace the live ``token`` by a new one of the same name and account; returns the new one with its key.

    Changes in the world: a new ``ApiToken`` (``replaces`` the old one, valid for
    ``API_TOKEN_TTL_DAYS``); the old one is marked replaced (``rotated_at``) and stays valid until
    ``now + API_TOKEN_ROTATION_OVERLAP_HOURS``, never past its own expiry. Both history rows name
    ``actor``. Refused when ``actor`` may not manage the token, or it is not live (expired,
    revoked or already replaced).
    """
    now = now or timezone.now()
    if not _may_manage(actor, token.user_id):
        raise PermissionDenied(_("This token is not one of your county's API clients' tokens."))
    old = ApiToken.objects.select_for_update().select_related("user").get(pk=token.pk)
    state = old.state(now)
    if state != ApiTokenState.LIVE:
        raise ValidationError(_("Only a live token can be rotated; this one is: %(state)s.") % {"state": state.label})
    old.rotated_at = now
    old.expires_at = min(old.expires_at, now + datetime.timedelta(hours=settings.API_TOKEN_ROTATION_OVERLAP_HOURS))
    _attributed(old, actor).save(update_fields=["rotated_at", "expires_at"])
    return _token_create(user=old.user, name=old.name, actor=actor, now=now, replaces=old)


@transaction.atomic
def api_token_revoke(*, actor, token, now=None) -> ApiToken:
    """Revoke ``token`` at once, on behalf of ``actor`` (``None``: whoever the request is).

    Changes in the world: ``revoked_at`` and ``revoked_by`` on the token (its history row names
    the actor); the token answers 401 from now on. A revoked token stays revoked (a second
    revocation changes nothing). Refused when ``actor`` may not manage the token.
    """
    now = now or timezone.now()
    if actor is not None and not _may_manage(actor, token.user_id):
        raise PermissionDenied(_("This token is not one of your county's API clients' tokens."))
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is not None:
        return token
    token.revoked_at = now
    token.revoked_by = actor if actor is not None and actor.pk else None
    _attributed(token, actor).save(update_fields=["revoked_at", "revoked_by"])
    return token


@transaction.atomic
def api_tokens_revoke_all(*, user, actor=None, now=None) -> int:
    """Revoke every token of ``user`` that still authenticates (a password change does this).
    Returns how many were revoked; each one's history row records it."""
    now = now or timezone.now()
    tokens = list(ApiToken.objects.usable(now).filter(user=user))
    for token in tokens:
        api_token_revoke(actor=actor, token=token, now=now)
    return len(tokens)


def api_token_touch(*, token, now=None) -> None:
    """Record that ``token`` was used at ``now``: at most once a ``LAST_USED_RESOLUTION`` per token,
    by a plain UPDATE (no history row, no ``save`` signal: a use is not a change of the token)."""
    now = now or timezone.now()
    if token.last_used_at is not None and now - token.last_used_at < LAST_USED_RESOLUTION:
        return
    ApiToken.objects.filter(pk=token.pk).filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_RESOLUTION)
    ).update(last_used_at=now)
    token.last_used_at = now


def _client_county_code(account) -> str:
    """Whose channels a notice about ``account``'s token goes to: its county (a county role's own,
    or the one county an API client's grant names); empty (the deployment's) otherwise."""
    if account.county_id:
        return account.county.code
    codes = list(account.scope_counties.values_list("code", flat=True)[:2])
    return codes[0] if len(codes) == 1 else ""


def api_token_expiry_notice(token) -> Notice:
    """What the notice of ``token``'s coming expiry says (in the platform's language)."""
    with translation.override(settings.LANGUAGE_CODE):
        expires = timezone.localtime(token.expires_at).strftime("%Y-%m-%d %H:%M")
        values = {"name": token.name, "user": token.user.get_username(), "prefix": token.prefix, "expires": expires}
        title = _("API token expires soon: %(name)s") % values
        text = (
            _(
                "The API token “%(name)s” of account %(user)s (key starting %(prefix)s) expires at %(expires)s. "
                "Ask your county's administrator to rotate it before then."
            )
            % values
        )
    document = {
        "schema": "lucheng-care.api-token-expiry/v1",
        "token": {
            "name": token.name,
            "account": token.user.get_username(),
            "prefix": token.prefix,
            "expires_at": token.expires_at.isoformat(),
        },
    }
    return Notice(document=document, title=title, text=f"### {title}\n\n{text}")


@transaction.atomic
def api_token_expiry_notices_send(*, now=None) -> int:
    """Tell each live token's client, once, that the token expires within ``API_TOKEN_EXPIRY_NOTICE_DAYS``.

    Changes in the world: for each live token (not replaced, revoked or expired) expiring in that
    window that has no notice yet, the outbox rows of one notice (topic ``accounts.api_token_expiry``,
    subject the token) to its client's county's channels (``_client_county_code``); the outbox
    delivers them. A token already noticed is skipped, so a daily run notifies each token once.
    Returns how many tokens were noticed.
    """
    now = now or timezone.now()
    window = datetime.timedelta(days=settings.API_TOKEN_EXPIRY_NOTICE_DAYS)
    tokens = list(api_tokens_expiring(now=now, within=window).select_related("user__county").order_by("pk"))
    noticed = outbox_keys(topic=TOKEN_EXPIRY_TOPIC, subjects=tokens)
    sent = 0
    for token in tokens:
        if token.pk in noticed:
            continue
        outbox_enqueue(
            topic=TOKEN_EXPIRY_TOPIC,
            subject=token,
            label=str(token),
            notice=api_token_expiry_notice(token),
            destination=_client_county_code(token.user),
        )
        sent += 1
    return sent
