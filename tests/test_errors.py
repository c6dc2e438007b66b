"""Errors outside any view still answer in the API's one format under /api/."""

import json

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_an_unrouted_api_url_answers_in_the_error_format():
    response = Client().get("/api/v1/no-such-endpoint/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_a_page_outside_the_api_answers_with_a_page():
    response = Client().get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_a_server_error_under_the_api_answers_in_the_error_format(rf):
    from luchen_care.core.views import server_error

    response = server_error(rf.get("/api/v1/institutions/"))
    assert response.status_code == 500
    body = json.loads(response.content)["error"]
    assert body["code"] == "server_error" and body["message"]


# --- bodies the API refuses before parsing ------------------------------------------------------

TOKEN = "/api/v1/auth/token/"
INSTITUTIONS = "/api/v1/institutions/"


def nested(depth):
    return "[" * depth + "]" * depth


def assert_error(response, status, code):
    assert response.status_code == status, response.content
    body = response.json()
    assert list(body) == ["error"] and set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["code"] == code and body["error"]["message"]
    return body["error"]


@pytest.mark.parametrize("depth", [33, 1000, 100_000])
def test_json_nested_too_deep_is_a_400_on_the_anonymous_token_endpoint(depth):
    response = Client().post(TOKEN, nested(depth), content_type="application/json")
    error = assert_error(response, 400, "too_deep")
    assert "32" in error["message"]


def test_json_nested_too_deep_is_a_400_on_an_authenticated_write(health_user):
    client = Client()
    client.force_login(health_user)
    body = '{"name": ' + '{"a": ' * 40 + "1" + "}" * 40 + "}"
    assert_error(client.post(INSTITUTIONS, body, content_type="application/json"), 400, "too_deep")


def test_json_nested_32_deep_is_parsed_and_judged_on_its_fields():
    response = Client().post(TOKEN, '{"username": ' + nested(31) + "}", content_type="application/json")
    assert assert_error(response, 400, "invalid")["fields"].keys() == {"username", "password"}


def test_brackets_inside_strings_do_not_count_as_nesting():
    name = '\\"[[[' + "{[" * 100  # an escaped quote does not end the string
    response = Client().post(TOKEN, f'{{"username": "{name}", "password": "x"}}', content_type="application/json")
    assert_error(response, 400, "invalid")  # judged as credentials, not as nesting


@pytest.mark.parametrize(
    "content_type, body",
    [
        ("application/x-www-form-urlencoded", "username=health&password=x"),
        (
            "multipart/form-data; boundary=BoUnDaRy",
            '--BoUnDaRy\r\nContent-Disposition: form-data; name="username"\r\n\r\nhealth\r\n--BoUnDaRy--\r\n',
        ),
        ("text/plain", '{"username": "health"}'),
    ],
)
def test_the_api_takes_json_only(content_type, body):
    response = Client().post(TOKEN, body, content_type=content_type)
    error = assert_error(response, 415, "unsupported_media_type")
    assert "application/json" in error["message"] and content_type.split(";")[0] in error["message"]


def test_a_form_post_to_an_authenticated_write_is_a_415(health_user):
    client = Client()
    client.force_login(health_user)
    response = client.post(INSTITUTIONS, {"name": "x"})  # Django's test client sends multipart
    assert_error(response, 415, "unsupported_media_type")
