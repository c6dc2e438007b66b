"""Who works in the Django admin, decided once for every app's ModelAdmin.

What each role may see or change inside the admin is decided by the app that owns the
record (``registry.permissions``) and by the one scope rule (``luchen_care.core.scope``, which
every model's ``visible_to`` applies); these two only say
who reaches the admin at all, who administers district-wide settings and who manages
a county's accounts.
"""

from django.conf import settings

from .models import STAFF_ROLES, Role

TWO_FACTOR_ROLES = frozenset(
    {Role.HEALTH_BUREAU, Role.EDUCATION_BUREAU, Role.REGISTRATION_AUTHORITY, Role.CITY_HEALTH_COMMISSION}
)


def works_in_admin(user) -> bool:
    """Bureau staff, registration authorities and street offices (and superusers)."""
    return user.is_active and user.is_staff and (user.is_superuser or user.role in STAFF_ROLES)


def administers_district(user) -> bool:
    """The health bureau and superusers: they edit district-wide data (calendar, populations, pushes)."""
    return works_in_admin(user) and user.sees_everything


def administers_county_accounts(user) -> bool:
    """A county administrator: a health-bureau user of a county whom a superuser marked so.

    It manages its county's accounts (``accounts.selectors.accounts_managed_by``); a superuser
    manages every account and is not one.
    """
    return (
        works_in_admin(user)
        and not user.is_superuser
        and user.county_administrator
        and user.role == Role.HEALTH_BUREAU
        and user.county_id is not None
    )


def two_factor_required(user) -> bool:
    """Whom ``REQUIRE_2FA`` asks for a second factor: the county bureaus, registration authorities,
    the city role, county administrators and superusers (not street offices, institutions or API
    clients). Whoever has enrolled gives a code at sign-in either way (``services.second_factor_verify``)."""
    if not settings.REQUIRE_2FA or not user.is_authenticated or not user.is_active:
        return False
    return bool(user.is_superuser or user.county_administrator or user.role in TWO_FACTOR_ROLES)


# The registry's rule of who may change an institution (``registry.permissions.can_change_institution``),
# registered from its AppConfig.ready(): accounts knows no registry module.
_institution_change_rule = None


def institution_change_rule_register(rule):
    """Name the rule ``rule(user, institution) -> bool`` of who may change an institution."""
    global _institution_change_rule
    _institution_change_rule = rule


def manages_institution_accounts(user, institution=None) -> bool:
    """Whoever may change ``institution`` (the health bureau, the education bureau its nursery classes,
    superusers; see the registry's rule): it invites the institution's people and starts their password
    resets. ``None`` asks whether ``user`` may do so for some institution. No rule registered: nobody."""
    rule = _institution_change_rule
    return bool(rule is not None and user.is_authenticated and works_in_admin(user) and rule(user, institution))


def administers_institution(user, institution_id=None) -> bool:
    """An active institution user marked its institution's administrator (of ``institution_id``, if given):
    it invites, removes and hands over its colleagues' accounts in the portal."""
    return bool(
        user.is_authenticated
        and user.is_active
        and user.role == Role.INSTITUTION
        and user.institution_id is not None
        and user.institution_administrator
        and (institution_id is None or user.institution_id == institution_id)
    )
