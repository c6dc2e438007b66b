"""Who enters the institution portal, decided once for every app's portal pages."""

import functools

from django.contrib.auth.views import redirect_to_login
from django.http import Http404

from luchen_care.accounts.models import Role

LOGIN_URL = "portal:login"


def in_portal(user) -> bool:
    """An active institution user bound to its institution: the only people the portal serves."""
    return bool(
        user.is_authenticated and user.is_active and user.role == Role.INSTITUTION and user.institution_id is not None
    )


def institution_required(view):
    """Let only ``in_portal`` users through: anyone else signed out goes to the portal's sign-in,
    a signed-in user of another role gets 404 (the portal discloses nothing to them)."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), LOGIN_URL)
        if not in_portal(request.user):
            raise Http404
        return view(request, *args, **kwargs)

    # A form posted here after the session expired keeps its input (``core.resubmit``).
    wrapper.keeps_expired_post = True
    return wrapper
