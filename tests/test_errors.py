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
