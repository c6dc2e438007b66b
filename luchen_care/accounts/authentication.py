"""``Authorization: Token <key>`` against the hashed, named, expiring tokens (``ApiToken``).

DRF's ``TokenAuthentication`` kept keys in plain text and never let one expire; this class looks
a key up by its SHA-256, refuses an unknown, expired or revoked one with a 401 that says which,
and records the use (``last_used_at``, at most once a minute). ``request.auth`` is the token.
"""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from .models import ApiTokenState
from .selectors import api_token_by_key
from .services import api_token_touch


class TokenExpired(exceptions.AuthenticationFailed):
    default_code = "token_expired"
    default_detail = _("This API token has expired. Ask for a new one (or rotate before expiry).")


class TokenRevoked(exceptions.AuthenticationFailed):
    default_code = "token_revoked"
    default_detail = _("This API token was revoked. Ask your county's administrator for a new one.")


class ApiTokenAuthentication(BaseAuthentication):
    keyword = "Token"

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword.lower().encode():
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(_("Send the header as “Authorization: Token <key>”, one key."))
        try:
            key = parts[1].decode("ascii")
        except UnicodeError:
            raise exceptions.AuthenticationFailed(_("Unknown API token.")) from None
        token = api_token_by_key(key)
        if token is None:
            raise exceptions.AuthenticationFailed(_("Unknown API token."))
        now = timezone.now()
        state = token.state(now)
        if state == ApiTokenState.REVOKED:
            raise TokenRevoked()
        if state == ApiTokenState.EXPIRED:
            raise TokenExpired()
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("The account of this API token is inactive."))
        api_token_touch(token=token, now=now)
        return token.user, token

    def authenticate_header(self, request):
        return self.keyword


class ApiTokenScheme(OpenApiAuthenticationExtension):
    """The OpenAPI description of ``ApiTokenAuthentication``: the same ``tokenAuth`` scheme as DRF's."""

    target_class = ApiTokenAuthentication
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return build_bearer_security_scheme_object(header_name="Authorization", token_prefix=self.target.keyword)
