from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import APIException
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from luchen_care.core.api.parsers import JSONParser

from .authentication import ApiTokenAuthentication
from .lockout import lockout_message
from .permissions import two_factor_required
from .selectors import has_second_factor
from .services import api_token_exchange, api_token_revoke, api_token_rotate, second_factor_verify


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


class TokenRequestSerializer(serializers.Serializer):
    """The password exchange's body, authenticating with the request Django's login limits count
    (django-axes reads the underlying ``HttpRequest``: its address, and where a lockout is recorded).

    Staff whom ``REQUIRE_2FA`` names, and whoever has enrolled an authenticator, also send its code
    as ``otp``: a password alone gets them no token. A wrong code counts as a failed sign-in.
    """

    username = serializers.CharField(label=_("Username"), write_only=True)
    password = serializers.CharField(
        label=_("Password"), style={"input_type": "password"}, trim_whitespace=False, write_only=True
    )
    name = serializers.CharField(
        label=_("Client system"),
        max_length=100,
        required=False,
        allow_blank=True,
        write_only=True,
        help_text=_('The system that will use the token (default "API"). A live token of that name is rotated.'),
    )
    otp = serializers.CharField(
        label=_("Verification code"),
        required=False,
        allow_blank=True,
        write_only=True,
        help_text=_("Staff accounts with two-factor sign-in: the 6-digit code from the authenticator app."),
    )

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


class TokenResponseSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="The key, shown this once: it is stored only as a hash.")
    expires_at = serializers.DateTimeField(help_text="When the token stops working.")
    name = serializers.CharField(help_text="The client system the token is named for.")


class RotatedTokenResponseSerializer(TokenResponseSerializer):
    previous_expires_at = serializers.DateTimeField(
        help_text="When the token this request presented stops working (the end of the overlap)."
    )


def _token_body(issued):
    return {
        "token": issued.key,
        "expires_at": issued.token.expires_at,
        "name": issued.token.name,
    }


TOKEN_EXAMPLE = {
    "token": "3f5c0a9e7b2d4c6e8f1a3b5c7d9e0f2a4b6c8d0e",
    "expires_at": "2026-06-01T09:30:00+08:00",
    "name": "区大数据管理中心",
}


class ObtainTokenView(APIView):
    """``POST``: exchange a username and password for a new API token (``Authorization: Token …``).
    ``DELETE``: revoke the token the request presents (a client retiring its own key)."""

    parser_classes = [JSONParser]  # machine endpoints take JSON only

    def _revoking(self):
        request = getattr(self, "request", None)
        return request is not None and request.method == "DELETE"

    def get_authenticators(self):
        # Only revoking reads the token; the exchange reads no credential from the header (nor does its
        # throttle), and a method the view does not serve is answered 405 before anything is checked.
        return [ApiTokenAuthentication()] if self._revoking() else []

    def get_permissions(self):
        return [IsAuthenticated()] if self._revoking() else [AllowAny()]

    def get_throttles(self):
        # The exchange is throttled per address even with a valid token: a token is no pass for guessing.
        return super().get_throttles() if self._revoking() else [LoginRateThrottle()]

    @extend_schema(
        operation_id="v1_auth_token_create",
        request=TokenRequestSerializer,
        responses=TokenResponseSerializer,
        examples=[
            OpenApiExample(
                "A client system's token",
                value={"username": "dsj-center", "password": "…", "name": "区大数据管理中心"},
                request_only=True,
            ),
            OpenApiExample("The new token", value=TOKEN_EXAMPLE, response_only=True),
        ],
        tags=["auth"],
    )
    def post(self, request, *args, **kwargs):
        serializer = TokenRequestSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        issued = api_token_exchange(
            user=serializer.validated_data["user"], name=serializer.validated_data.get("name", "")
        )
        return Response(_token_body(issued))

    @extend_schema(
        operation_id="v1_auth_token_destroy",
        request=None,
        responses={204: OpenApiResponse(description="Revoked: the presented token answers 401 from now on.")},
        tags=["auth"],
    )
    def delete(self, request, *args, **kwargs):
        api_token_revoke(actor=request.user, token=request.auth)
        return Response(status=status.HTTP_204_NO_CONTENT)


class RotateTokenView(APIView):
    """Rotate the token the request presents: a new key of the same name; the presented one keeps
    working until the overlap ends (``API_TOKEN_ROTATION_OVERLAP_HOURS``), never past its expiry."""

    authentication_classes = [ApiTokenAuthentication]  # a session has no token to rotate
    permission_classes = [IsAuthenticated]
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="v1_auth_token_rotate_create",
        request=None,
        responses=RotatedTokenResponseSerializer,
        examples=[
            OpenApiExample(
                "The new token, and when the presented one stops",
                value={**TOKEN_EXAMPLE, "previous_expires_at": "2026-03-06T09:30:00+08:00"},
                response_only=True,
            )
        ],
        tags=["auth"],
    )
    def post(self, request, *args, **kwargs):
        try:
            issued = api_token_rotate(actor=request.user, token=request.auth)
        except DjangoValidationError as exc:
            raise serializers.ValidationError({"token": exc.messages}) from None
        previous = issued.token.replaces
        return Response({**_token_body(issued), "previous_expires_at": previous.expires_at})
