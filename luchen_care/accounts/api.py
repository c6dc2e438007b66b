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


class TokenRequestSerializer(AuthTokenSerializer):
    """DRF's, authenticating with the request Django's login limits count (django-axes reads the
    underlying ``HttpRequest``: its address, and where a lockout is recorded)."""

    def validate(self, attrs):
        request = self.context["request"]
        http_request = getattr(request, "_request", request)
        credentials = {"username": attrs.get("username"), "password": attrs.get("password")}
        user = authenticate(request=http_request, **credentials)
        if user is None:
            if getattr(http_request, "axes_locked_out", False):
                raise LockedOut(lockout_message(http_request, {"username": credentials["username"]}))
            raise serializers.ValidationError(_("Unable to log in with provided credentials."), code="authorization")
        attrs["user"] = user
        return attrs


class ObtainTokenView(ObtainAuthToken):
    """Exchange a username and password for an API token (``Authorization: Token …``)."""

    serializer_class = TokenRequestSerializer
    authentication_classes = []  # a credential in the header changes nothing here, nor its throttle
    throttle_classes = [LoginRateThrottle]
    parser_classes = [JSONParser]  # ObtainAuthToken also takes forms; machine endpoints take JSON only

    @extend_schema(
        request=inline_serializer(
            "TokenRequest", {"username": serializers.CharField(), "password": serializers.CharField()}
        ),
        responses=inline_serializer("TokenResponse", {"token": serializers.CharField()}),
        tags=["auth"],
    )
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)
