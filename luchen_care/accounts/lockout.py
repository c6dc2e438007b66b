"""Login limits: guessing is stopped without letting anyone lock out a named officer or a whole office.

django-axes counts failed logins on every face that takes a password (the admin login and the
token endpoint and the portal's sign-in, through Django's ``authenticate``; the invitation and
password-reset links of the portal, where a wrong token is sent as a ``user_login_failed`` signal). Two counts
(``AXES_LOCKOUT_PARAMETERS``), each with its own limit:

- per (username, client address): ``AXES_FAILURE_LIMIT`` (5) failures lock that user out from
  that address for ``AXES_COOLOFF_TIME``; the same user still signs in from another address, and a
  colleague behind the same 政务外网 egress address is not locked out by one person's typos;
- per client address: ``LOGIN_ADDRESS_FAILURE_LIMIT`` (100) failures, whatever the usernames,
  lock the address out (someone trying many accounts).

axes has one limit for every count; ``LoginLimitHandler`` scales the address count to it. The
client address is ``client_address``: ``X-Forwarded-For`` is believed only for the configured
number of trusted proxies (``TRUSTED_PROXY_COUNT``), so a client cannot pick a new address per try.
A lockout answers with a Chinese page (or the API's JSON error) saying when to try again; the
attempt rows are the record, and a county administrator unlocks its county's accounts in the admin.
"""

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Max, Sum
from django.http import JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _


def client_address(request) -> str:
    """The client's address: ``REMOTE_ADDR``, or, behind ``TRUSTED_PROXY_COUNT`` proxies, the
    ``X-Forwarded-For`` entry the outermost trusted proxy saw (DRF's throttles use the same rule)."""
    meta = getattr(request, "META", {})
    remote = meta.get("REMOTE_ADDR", "")
    proxies = settings.TRUSTED_PROXY_COUNT
    forwarded = [part.strip() for part in meta.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if proxies and forwarded:
        return forwarded[-min(proxies, len(forwarded))]
    return remote


class LoginLimitHandler(AxesDatabaseHandler):
    """axes' database handler with a limit of its own for the per-address count."""

    def get_failures(self, request, credentials=None) -> int:
        pair, address = (
            attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0
            for attempts in self.get_user_attempts(request, credentials)
        )
        # The address count reaches axes' limit when it reaches its own, larger one.
        scaled = address * settings.AXES_FAILURE_LIMIT // settings.LOGIN_ADDRESS_FAILURE_LIMIT
        return max(pair, scaled)

    def user_logged_in(self, sender, request, user, **kwargs):
        # A successful sign-in forgets that user's own failures from that address, and only those
        # (axes' reset would forget the whole address's: one officer signing in would unlock
        # whoever is being guessed at behind the same egress address).
        super().user_logged_in(sender, request, user, **kwargs)
        AccessAttempt.objects.filter(username=user.get_username(), ip_address=request.axes_ip_address).delete()


def locked_until(request, credentials=None):
    """When the lockout of this request's username and address ends (local time), or ``None``."""
    handler = LoginLimitHandler()
    latest = None
    for attempts in handler.get_user_attempts(request, credentials):
        last = attempts.aggregate(last=Max("attempt_time"))["last"]
        latest = max(filter(None, (latest, last)), default=None)
    cool_off = get_cool_off(request)
    if latest is None or cool_off is None:
        return None
    return timezone.localtime(latest + cool_off)


def lockout_message(request, credentials=None) -> str:
    until = locked_until(request, credentials)
    if until is None:
        return _("Too many failed sign-in attempts. Try again later, or ask your county's administrator to unlock you.")
    return _(
        "Too many failed sign-in attempts from this address. Try again after %(time)s, or ask your "
        "county's administrator to unlock you."
    ) % {"time": until.strftime("%Y-%m-%d %H:%M")}


def lockout_response(request, original_response=None, credentials=None):
    """What a locked-out login is answered: the API's JSON error on /api/, the page elsewhere (429)."""
    message = lockout_message(request, credentials)
    if request.path.startswith("/api/"):
        return JsonResponse({"error": {"code": "locked_out", "message": message, "fields": {}}}, status=429)
    context = {
        "code": 429,
        "heading": _("Sign-in temporarily locked"),
        "message": message,
        "username": get_client_username(request, credentials) or "",
    }
    return render(request, "error.html", context, status=429)


def address_throttled(request, scope, limit, seconds) -> bool:
    """Whether ``request``'s address has made ``limit`` requests of ``scope`` within ``seconds``
    (this one counted): for forms that send something (a password-reset link), not only sign-ins."""
    from django.core.cache import cache  # noqa: PLC0415

    key = f"accounts.throttle:{scope}:{client_address(request)}"
    cache.add(key, 0, timeout=seconds)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=seconds)
        count = 1
    return count > limit
