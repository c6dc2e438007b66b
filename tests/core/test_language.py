"""Pages are Chinese unless the user picks English with the switcher; the API follows Accept-Language."""

import pytest
from django.conf import settings
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_an_english_browser_still_gets_the_chinese_pages(client):
    home = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    login = client.get(reverse("admin:login"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="zh-hans">' in home and "登录工作台" in home
    assert "用户名" in login and "Username" not in login


def test_the_switcher_turns_the_pages_english(client):
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    home = client.get("/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert '<html lang="en">' in home and "Log in to the workbench" in home


def test_the_api_follows_accept_language(client):
    english = client.get("/api/v1/institutions/", HTTP_ACCEPT_LANGUAGE="en").json()
    chinese = client.get("/api/v1/institutions/").json()
    assert english["error"]["code"] == chinese["error"]["code"] == "not_authenticated"
    assert english["error"]["message"] != chinese["error"]["message"]
    assert "credentials" in english["error"]["message"].lower()
