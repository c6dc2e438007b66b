"""One error format for the whole API.

Every error answers ``{"error": {"code": ..., "message": ..., "fields": {...}}}``:
``code`` is stable for machines, ``message`` is in the caller's language, and
``fields`` maps each offending field name to its messages (empty when the error is
not about a field).
"""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.views import exception_handler as drf_exception_handler


def _flatten(detail):
    if isinstance(detail, dict):
        return {key: _flatten_list(value) for key, value in detail.items()}
    return {}


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


def error_body(code, message, fields=None):
    return {"error": {"code": code, "message": str(message), "fields": fields or {}}}


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            exc = exceptions.ValidationError(exc.message_dict)
        else:
            exc = exceptions.ValidationError({"non_field_errors": exc.messages})
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
            detail = {"non_field_errors": detail}
        fields = _flatten(detail)
        first = next(iter(fields.items()), None)
        message = _("The submitted data is not valid.")
        if first:
            name, msgs = first
            text = msgs[0] if isinstance(msgs, list) and msgs and isinstance(msgs[0], str) else ""
            message = f"{name}: {text}" if text else message
        response.data = error_body("invalid", message, fields)
        response.status_code = status.HTTP_400_BAD_REQUEST
        return response

    code = getattr(exc, "default_code", "error")
    if isinstance(exc, exceptions.APIException):
        codes = exc.get_codes()
        if isinstance(codes, str):
            code = codes
    detail = getattr(exc, "detail", "")
    response.data = error_body(code, detail if isinstance(detail, str) else str(detail))
    return response
