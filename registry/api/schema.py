"""Schema post-processing that needs the registry's reference data."""

from django.db import DatabaseError

from ..models import Street


def street_codes(result, generator, request, public):
    """Document the street filter's codes as an enum, read when the schema is generated.

    The filter answers 400 for a code that is not one of the deployment's streets and towns; a schema
    without the list would call such codes valid.
    """
    try:
        codes = sorted(Street.objects.values_list("code", flat=True))
    except DatabaseError:
        # drf-spectacular's system check generates the schema before any migration has run.
        return result
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []) if isinstance(operation, dict) else []:
                if parameter.get("in") == "query" and parameter.get("name") == "street" and codes:
                    parameter["schema"]["enum"] = codes
    return result
