"""One error format for the whole API.

Every error answers ``{"error": {"code": ..., "message": ..., "fields": {...}}}``:
``code`` is stable for machines, ``message`` is in the caller's language, and
``fields`` maps each offending field name to its messages (empty when the error is
not about a field).
"""

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler


def _flatten(detail):
    if isinstance(detail, dict):
        return {_field_key(key): _flatten_list(value) for key, value in detail.items()}
    return {}


def _field_key(key):
    # Django's model-level errors arrive under "__all__"; the API has one name for them.
    return api_settings.NON_FIELD_ERRORS_KEY if key == NON_FIELD_ERRORS else key


def _flatten_list(value):
    if isinstance(value, dict):
        # Nested serializer errors: keep the structure under the field.
        return {k: _flatten_list(v) for k, v in value.items()}
    if isinstance(value, list):
        out = []
        for item in value:
            out.append(_flatten_list(item) if isinstance(item, dict | list) else str(item))
        return out
    return [str(value)]


def _first_message(value, path=()):
    """The first human-readable message in a (possibly nested) error structure, and where it is."""
    if isinstance(value, str):
        return path, value
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        # A list of messages is one field; only nested serializers (dicts) add to the path.
        found = _first_message(item, path + (str(key),) if isinstance(value, dict) else path)
        if found:
            return found
    return None


def error_body(code, message, fields=None):
    return {"error": {"code": code, "message": str(message), "fields": fields or {}}}


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            exc = exceptions.ValidationError(exc.message_dict)
        else:
            exc = exceptions.ValidationError({api_settings.NON_FIELD_ERRORS_KEY: exc.messages})
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(*(exc.args or ()))

    response = drf_exception_handler(exc, context)
    if response is None:
        return None

    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail
        if isinstance(detail, list):
            detail = {api_settings.NON_FIELD_ERRORS_KEY: detail}
        fields = _flatten(detail)
        message = _("The submitted data is not valid.")
        first = _first_message(fields)
        if first:
            # Field errors name their field ("classes.0.capacity: …"); errors about the whole
            # request read as they are.
            path, text = first
            name = ".".join(p for p in path if p != api_settings.NON_FIELD_ERRORS_KEY)
            message = f"{name}: {text}" if name else text
        response.data = error_body("invalid", message, fields)
        response.status_code = status.HTTP_400_BAD_REQUEST
        return response

    if isinstance(exc, exceptions.UnsupportedMediaType):
        response.data = error_body(
            exc.default_code,
            _('The API takes JSON only: send the body as "Content-Type: application/json", not "%(type)s".')
            % {"type": context["request"].content_type},
        )
        return response

    code = getattr(exc, "default_code", "error")
    if isinstance(exc, exceptions.APIException):
        codes = exc.get_codes()
        if isinstance(codes, str):
            code = codes
    detail = getattr(exc, "detail", "")
    response.data = error_body(code, detail if isinstance(detail, str) else str(detail))
    return response
