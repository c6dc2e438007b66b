from django.contrib.auth import authenticate
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.exceptions import APIException
from rest_framework.throttling import SimpleRateThrottle

from luchen_care.core.api.parsers import JSONParser

from .lockout import lockout_message
from .permissions import two_factor_required
from .selectors import has_second_factor
from .services import second_factor_verify


class LoginRateThrottle(SimpleRateThrottle):
    """The token endpoint's throttle, per client address, whoever the request says it is (a request
    carrying a valid token is throttled like any other: a token is no pass for guessing passwords)."""

    scope = "login"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class LockedOut(APIException):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "locked_out"
    default_detail = _("Too many failed sign-in attempts. Try again later.")


class SecondFactorNeeded(APIException):
    """A staff account's token request without a valid second factor (400; ``code`` says which:
    ``two_factor_not_enrolled``, ``otp_required`` or ``otp_invalid``)."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "otp_required"


class TokenRequestSerializer(AuthTokenSerializer):
    """DRF's, authenticating with the request Django's login limits count (django-axes reads the
    underlying ``HttpRequest``: its address, and where a lockout is recorded).

    Staff whom ``REQUIRE_2FA`` names, and whoever has enrolled an authenticator, also send its code
    as ``otp``: a password alone gets them no token. A wrong code counts as a failed sign-in.
    """

    otp = serializers.CharField(label=_("Verification code"), required=False, allow_blank=True, write_only=True)

    def validate(self, attrs):
        request = self.context["request"]
        http_request = getattr(request, "_request", request)
        credentials = {"username": attrs.get("username"), "password": attrs.get("password")}
        user = authenticate(request=http_request, **credentials)
        if user is None:
            if getattr(http_request, "axes_locked_out", False):
                raise LockedOut(lockout_message(http_request, {"username": credentials["username"]}))
            raise serializers.ValidationError(_("Unable to log in with provided credentials."), code="authorization")
        self._second_factor(http_request, user, attrs.get("otp"))
        attrs["user"] = user
        return attrs

    @staticmethod
    def _second_factor(http_request, user, code):
        enrolled = has_second_factor(user)
        if not (enrolled or two_factor_required(user)):
            return
        if not enrolled:
            message = _(
                "This account must sign in with a second factor: set up two-factor sign-in in the admin "
                "first (/admin/two-factor/), then send its code as otp."
            )
            raise SecondFactorNeeded(message, code="two_factor_not_enrolled")
        if not code:
            message = _("This account signs in with a second factor: send the 6-digit code from its app as otp.")
            raise SecondFactorNeeded(message, code="otp_required")
        if second_factor_verify(http_request, user, code) is None:
            message = _("The verification code is wrong or has expired.")
            raise SecondFactorNeeded(message, code="otp_invalid")


class ObtainTokenView(ObtainAuthToken):
    """Exchange a username and password for an API token (``Authorization: Token …``)."""

    serializer_class = TokenRequestSerializer
    authentication_classes = []  # a credential in the header changes nothing here, nor its throttle
    throttle_classes = [LoginRateThrottle]
    parser_classes = [JSONParser]  # ObtainAuthToken also takes forms; machine endpoints take JSON only

    @extend_schema(
        request=inline_serializer(
            "TokenRequest",
            {
                "username": serializers.CharField(),
                "password": serializers.CharField(),
                "otp": serializers.CharField(
                    required=False,
                    help_text=_("Staff accounts with two-factor sign-in: the 6-digit code from the authenticator app."),
                ),
            },
        ),
        responses=inline_serializer("TokenResponse", {"token": serializers.CharField()}),
        tags=["auth"],
    )
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)
