"""Writes of the accounts app: an account saved, an API token issued, on behalf of an actor.

A superuser may write any account. A county administrator writes only the accounts it manages
(``selectors.accounts_managed_by``), and only so that they stay its county's accounts: it grants
no privilege (superuser, county administrator, groups, permissions) and the staff flag follows
the role. The admin, and any later face, calls these; hiding a widget is not the rule.
"""

from axes.models import AccessAttempt
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from luchen_care.core.history import history_save

from .models import COUNTY_ROLES, STAFF_ROLES, Role, User
from .permissions import administers_county_accounts
from .selectors import accounts_managed_by, api_clients_managed_by


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
