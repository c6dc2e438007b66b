"""OpenAPI documentation of the one error format (``errors.py``) on each operation.

Views use it with ``schema = AutoSchema()``; as ``REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"]``
it would document every endpoint.
"""

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import permissions, serializers


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable, for machines: invalid, not_authenticated, not_found, throttled, …")
    message = serializers.CharField(help_text="For people, in the caller's language (Accept-Language).")
    fields = serializers.DictField(
        child=serializers.JSONField(),
        help_text="Each offending field's name and its messages; nested fields keep their structure. "
        "Empty when the error is not about a field.",
    )


class ErrorSerializer(serializers.Serializer):
    error = ErrorDetailSerializer()

    class Meta:
        ref_name = "Error"


ERROR_DESCRIPTIONS = {
    "400": "Not valid: `fields` names each offending field.",
    "401": "No token, or an unknown one.",
    "403": "The caller may not do this.",
    "404": "No such record, or one outside the caller's scope.",
    "429": "Too many requests: retry after the seconds in `Retry-After`.",
}


class AutoSchema(SpectacularAutoSchema):
    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code in self._error_codes():
            if code not in responses:
                response = OpenApiResponse(ErrorSerializer, description=ERROR_DESCRIPTIONS[code])
                responses[code] = self._get_response_for_code(response, code, direction=direction)
        return responses

    def _error_codes(self):
        codes = ["429"]
        open_to_all = all(issubclass(p, permissions.AllowAny) for p in self.view.permission_classes)
        if not open_to_all:
            codes += ["401", "403"]
        if self.method in ("POST", "PUT", "PATCH") or self._is_list_view():
            codes.append("400")  # invalid body, or an invalid filter value
        if "{" in self.path or self._is_list_view():
            codes.append("404")  # unknown or out-of-scope record, or a page past the end
        return sorted(codes)
