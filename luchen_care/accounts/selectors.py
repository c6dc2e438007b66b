"""Reads of the accounts app: whose accounts a user manages, and API tokens."""

from django.db.models import Q
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from .models import COUNTY_ROLES, ApiToken, Invitation, Role, User, api_token_hash
from .permissions import administers_county_accounts, works_in_admin


def accounts_managed_by(user):
    """The accounts ``user`` manages in the admin (changes, resets the password of, issues tokens for).

    - a superuser: every account
    - a county administrator (``administers_county_accounts``): its county's accounts, namely the
      bureau and authority users of its county, the street offices of its county's streets, the
      users of institutions in those streets, and the API clients whose grant names its county
      and nothing outside it (a grant naming no county reaches the whole deployment, and is the
      superuser's). Never a superuser, a city health commission, another county administrator
      or itself: those are the superuser's to manage.
    - anyone else: none
    """
    if not works_in_admin(user):
        return User.objects.none()
    if user.is_superuser:
        return User.objects.all()
    if not administers_county_accounts(user):
        return User.objects.none()
    county = user.county_id
    granted = User.scope_counties.through.objects
    streets = User.scope_streets.through.objects
    api_clients = (
        Q(role=Role.API_CLIENT, pk__in=granted.filter(county_id=county).values("user_id"))
        & ~Q(pk__in=granted.exclude(county_id=county).values("user_id"))
        & ~Q(pk__in=streets.exclude(street__county_id=county).values("user_id"))
    )
    return (
        User.objects.filter(
            Q(role__in=COUNTY_ROLES, county_id=county)
            | Q(role=Role.STREET_OFFICE, street__county_id=county)
            | Q(role=Role.INSTITUTION, institution__street__county_id=county)
            | api_clients
        )
        .filter(is_superuser=False, county_administrator=False)
        .exclude(pk=user.pk)
    )


def api_clients_managed_by(user):
    """The API clients among ``accounts_managed_by(user)``: whose tokens ``user`` issues and revokes."""
    return accounts_managed_by(user).filter(role=Role.API_CLIENT)


def totp_device(user, *, confirmed=True):
    """The user's authenticator (a TOTP device), confirmed or only begun; ``None`` if there is none."""
    return TOTPDevice.objects.filter(user=user, confirmed=confirmed).order_by("-pk").first()


def recovery_codes_left(user) -> int:
    """How many of the user's recovery codes are still unused."""
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def has_second_factor(user) -> bool:
    """Whether the user has enrolled an authenticator: then every sign-in asks for its code."""
    return user.is_authenticated and totp_device(user) is not None


def api_token_by_key(key):
    """The token whose key is ``key`` (looked up by its hash), with its account; ``None`` if unknown."""
    return ApiToken.objects.select_related("user").filter(key_hash=api_token_hash(key)).first()


def api_tokens_managed_by(user):
    """The API tokens ``user`` lists, issues, rotates and revokes in the admin: every token for a
    superuser, those of its API clients (``api_clients_managed_by``) for a county administrator."""
    if not works_in_admin(user):
        return ApiToken.objects.none()
    if user.is_superuser:
        return ApiToken.objects.all()
    return ApiToken.objects.filter(user__in=api_clients_managed_by(user))


def api_tokens_expiring(*, now, within):
    """Live tokens (not replaced, revoked or expired) that expire within ``within`` of ``now``."""
    return ApiToken.objects.live(now).filter(expires_at__lte=now + within).select_related("user")


# --- Institution accounts ------------------------------------------------------------------------------


def colleagues_of(user):
    """The accounts of ``user``'s institution (itself included), active first, then by name."""
    if user.role != Role.INSTITUTION or not user.institution_id:
        return User.objects.none()
    return User.objects.filter(role=Role.INSTITUTION, institution_id=user.institution_id).order_by(
        "-is_active", "-institution_administrator", "first_name", "username"
    )


def invitations_pending_for(user, *, include_closed=False):
    """The colleagues' invitations of ``user``'s institution still waiting to be used (every one with
    ``include_closed``), newest first; through ``visible_to``. An invitation of an administrator is the
    bureau's to manage, not the institution's: it is not listed."""
    from django.utils import timezone  # noqa: PLC0415

    invitations = Invitation.objects.visible_to(user).filter(institution_id=user.institution_id, administrator=False)
    if not include_closed:
        invitations = invitations.live(timezone.now())
    return invitations.select_related("created_by")


def sign_ins_of(user, *, limit=10):
    """``user``'s latest sign-ins (when, from which address), as the login audit recorded them."""
    from axes.models import AccessLog  # noqa: PLC0415

    return AccessLog.objects.filter(username=user.get_username()).order_by("-attempt_time")[:limit]
