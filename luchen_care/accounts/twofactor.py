"""Two-factor sign-in for staff (``REQUIRE_2FA``; django-otp).

- **Sign-in** (``forms.TwoFactorAuthenticationForm``, the admin's login form): the password, then,
  for whoever has enrolled an authenticator, its six-digit code or a recovery code. A wrong code is a
  failed sign-in for the login limits.
- **Enrolment** (``views.TwoFactorView``, /admin/two-factor/): a QR code for any authenticator app
  (and its key, to type), confirmed by a first code; ten recovery codes are then shown once.
- **Until verified** (``TwoFactorMiddleware``): a user whom ``REQUIRE_2FA`` names
  (``permissions.two_factor_required``) and whose session has no second factor reaches only that
  page (and signing out); the API answers such a session 403 ``two_factor_required``.
- **Tokens**: the token endpoint asks staff for the code too (``api.TokenRequestSerializer``).
"""

from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from .permissions import two_factor_required

# Reached before the second factor: the page itself, signing out, the language switch, static files.
OPEN_PATHS = ("/static/", "/i18n/", "/healthz", "/favicon.ico")


class TwoFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and two_factor_required(user) and not user.is_verified() and not self._open(request):
            message = _("Your account signs in with a second factor: finish two-factor sign-in first.")
            if request.path.startswith("/api/"):
                error = {"code": "two_factor_required", "message": message, "fields": {}}
                return JsonResponse({"error": error}, status=403)
            return redirect(f"{reverse('two_factor')}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)

    @staticmethod
    def _open(request):
        path = request.path
        return path.startswith(OPEN_PATHS) or path in (reverse("two_factor"), reverse("admin:logout"))
