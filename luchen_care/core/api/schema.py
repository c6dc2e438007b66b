"""OpenAPI documentation of the one error format (``errors.py``) on each operation.

It is ``REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"]``, so every endpoint gets it without saying so.
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
    "401": "No token, or an unknown, expired or revoked one.",
    "403": "The caller may not do this.",
    "404": "No such record, or one outside the caller's scope.",
    "415": "The body is not JSON: send `Content-Type: application/json`.",
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
        takes_body = self.method in ("POST", "PUT", "PATCH")
        if takes_body or self._takes_query_parameters():
            codes.append("400")  # invalid body (too deep, a field, a business rule), or an invalid query value
        if takes_body:
            codes.append("415")  # JSON only
        if "{" in self.path or self._is_list_view():
            codes.append("404")  # unknown or out-of-scope record, or a page past the end
        return sorted(codes)

    def _takes_query_parameters(self):
        return any(parameter["in"] == "query" for parameter in self._get_parameters())

    def _get_parameters(self):
        parameters = super()._get_parameters()
        for parameter in parameters:
            if parameter["in"] == "query" and not parameter.get("required"):
                # An empty optional query value means "not given" (django-filter's and DRF's rule, and what a
                # form's "all" option sends): say so, so that a client does not take it for an error.
                parameter["allowEmptyValue"] = True
        return parameters
