"""/api/schema/ is a valid OpenAPI 3 document that describes the institutions API and its errors."""

import re

import pytest
import yaml
from openapi_spec_validator import validate

pytestmark = pytest.mark.django_db

INSTITUTIONS = "/api/v1/institutions/"
INSTITUTION = "/api/v1/institutions/{id}/"


@pytest.fixture
def schema(client):
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi+json")
    return response.json()


def test_the_schema_is_valid_openapi_3(schema):
    assert schema["openapi"].startswith("3.")
    validate(schema)  # raises on any violation of the OpenAPI 3 specification


def test_the_yaml_form_is_the_same_document(client, schema):
    response = client.get("/api/schema/")
    assert response.status_code == 200
    assert yaml.safe_load(response.content) == schema


def test_the_institutions_endpoints_are_documented(schema):
    paths = schema["paths"]
    assert set(paths[INSTITUTIONS]) == {"get", "post"}
    assert set(paths[INSTITUTION]) == {"get", "put", "patch"}  # no delete: institutions are closed, not deleted
    assert "post" in paths["/api/v1/auth/token/"]

    parameters = {p["name"] for p in paths[INSTITUTIONS]["get"]["parameters"]}
    assert {"street", "kind", "ownership", "inclusive", "status", "search", "ordering", "page", "page_size"} <= (
        parameters
    )

    fields = schema["components"]["schemas"]["Institution"]["properties"]
    assert {"name", "credit_code", "kind", "ownership", "inclusive", "street", "status", "classes"} <= set(fields)


def test_token_authentication_is_documented(schema):
    schemes = schema["components"]["securitySchemes"]
    assert schemes["tokenAuth"] == {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": 'Token-based authentication with required prefix "Token"',
    }
    assert {"tokenAuth": []} in schema["paths"][INSTITUTIONS]["get"]["security"]
    assert "/api/v1/auth/token/" in schema["info"]["description"]


def test_the_error_format_is_documented_on_each_operation(schema):
    error = {"$ref": "#/components/schemas/Error"}
    detail = schema["components"]["schemas"]["ErrorDetail"]
    assert set(detail["properties"]) == {"code", "message", "fields"}

    def error_schema(path, method, status):
        return schema["paths"][path][method]["responses"][status]["content"]["application/json"]["schema"]

    for status in ("400", "401", "403", "404", "429"):
        assert error_schema(INSTITUTIONS, "get", status) == error
    for status in ("400", "401", "403", "404", "429"):
        assert error_schema(INSTITUTION, "patch", status) == error
    assert error_schema("/api/v1/auth/token/", "post", "400") == error


def test_the_interactive_docs_are_served_without_a_cdn(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "swagger-ui" in page
    assert "cdn.jsdelivr.net" not in page and "unpkg.com" not in page


# --- every bound the server enforces is in the schema ----------------------------------------------------

SLA = "/api/v1/registrations/sla/"


def parameters(schema, path, method="get"):
    return {p["name"]: p for p in schema["paths"][path][method].get("parameters", [])}


def test_page_and_page_size_bounds_are_documented(schema):
    for path, operation in schema["paths"].items():
        params = parameters(schema, path) if "get" in operation else {}
        if "page_size" in params:
            assert params["page_size"]["schema"] == {"type": "integer", "minimum": 1, "maximum": 500}, path
            assert params["page"]["schema"] == {"type": "integer", "minimum": 1}, path
    assert "page_size" in parameters(schema, INSTITUTIONS)
    assert "page_size" in parameters(schema, "/api/v1/registrations/")


def test_the_sla_query_is_documented_with_its_bounds(schema):
    params = parameters(schema, SLA)
    assert set(params) == {"year", "authority"}
    assert params["year"]["schema"] == {"type": "integer", "minimum": 2000, "maximum": 2100}
    assert set(params["authority"]["schema"]["enum"]) == {"civil_affairs", "establishment_office", "market_regulation"}
    assert not params["year"].get("required") and not params["authority"].get("required")


def test_every_operation_with_a_query_or_a_body_documents_400_and_415(schema):
    error = {"$ref": "#/components/schemas/Error"}
    checked = 0
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            takes_query = any(p["in"] == "query" for p in operation.get("parameters", []))
            takes_body = "requestBody" in operation
            if takes_query or takes_body:
                assert "400" in responses, (method, path)
                checked += 1
            if takes_body:
                assert "415" in responses, (method, path)
                # JSON only, but for an upload's multipart form (a section's materials).
                body_types = {"multipart/form-data"} if path.endswith("/materials/") else {"application/json"}
                assert set(operation["requestBody"]["content"]) == body_types, (method, path)
            for status, response in responses.items():
                if status.startswith("4"):
                    assert response["content"]["application/json"]["schema"] == error, (method, path, status)
    assert checked >= 6
    assert "400" in schema["paths"][SLA]["get"]["responses"]


def test_ordering_terms_and_empty_values_are_documented(schema):
    params = parameters(schema, INSTITUTIONS)
    pattern = params["ordering"]["schema"]["pattern"]
    assert re.fullmatch(pattern, "-approved_places,name") and not re.fullmatch(pattern, "bogus")
    assert all(p.get("allowEmptyValue") for p in params.values() if p["in"] == "query")
    assert "330302006" in params["street"]["schema"]["enum"] and len(params["street"]["schema"]["enum"]) == 14


# --- filings ----------------------------------------------------------------------------------------

FILINGS = "/api/v1/filings/"
FILING = "/api/v1/filings/{id}/"


def test_the_filings_endpoints_are_documented(schema):
    paths = schema["paths"]
    assert set(paths[FILINGS]) == {"get", "post"}
    assert set(paths[FILING]) == {"get"}  # filings change only through their steps
    assert set(paths[f"{FILING}sections/{{key}}/"]) == {"put"}
    assert set(paths[f"{FILING}sections/{{key}}/materials/"]) == {"post"}
    assert set(paths[f"{FILING}submit/"]) == {"post"} and set(paths[f"{FILING}withdraw/"]) == {"post"}

    params = parameters(schema, FILINGS)
    assert {"status", "kind", "review_body", "receipt_deadline_from", "receipt_deadline_to", "page_size"} <= set(params)
    key = parameters(schema, f"{FILING}sections/{{key}}/", "put")["key"]
    assert set(key["schema"]["enum"]) == {
        "basic", "premises", "classes", "staff", "safety", "food", "fees", "commitment", "placement"
    }  # fmt: skip

    upload = paths[f"{FILING}sections/{{key}}/materials/"]["post"]["requestBody"]["content"]["multipart/form-data"]
    fields = schema["components"]["schemas"][upload["schema"]["$ref"].rsplit("/", 1)[1]]["properties"]
    assert fields["file"] == {"type": "string", "format": "binary", "description": fields["file"]["description"]}

    document = paths[f"{FILING}documents/{{document_id}}/"]["get"]["responses"]
    assert "application/pdf" in document["200"]["content"]
    assert document["404"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}

    filing = schema["components"]["schemas"]["Filing"]["properties"]
    assert {"status", "kind", "institution", "review_body", "number", "submitted_at", "deadlines"} <= set(filing)
    assert {"fee_above_guided", "sections", "documents"} <= set(filing)
