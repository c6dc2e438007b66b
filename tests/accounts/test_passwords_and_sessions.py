"""Passwords of at least 10 characters from three classes, told in Chinese; idle sessions end after
30 minutes, and every request renews them."""

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from luchen_care.accounts.models import ApiToken, Role
from tests.accounts.factories import api_token
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "password, refused_for",
    [
        ("Ab1!xyz", "10"),  # too short: at least 10 characters
        ("abcdefghijkl", "至少混合"),  # one class
        ("ouhaiqu2026x", "至少混合"),  # two classes
    ],
)
def test_a_weak_password_is_refused_in_chinese(password, refused_for):
    with translation.override("zh-hans"):
        with pytest.raises(ValidationError) as refused:
            validate_password(password)
        messages = refused.value.messages  # Django's own are lazy: read them in Chinese
    assert any(refused_for in message for message in messages), messages


@pytest.mark.parametrize("password", ["Ouhai-river-26", "ouhaiqu2026!", "瓯海区托育2026abc"])
def test_ten_characters_of_three_classes_are_accepted(password):
    validate_password(password)


def test_the_password_change_page_refuses_a_weak_password_and_keeps_the_old_one(client, password):
    user = UserFactory(username="officer", role=Role.HEALTH_BUREAU)
    client.force_login(user)
    response = client.post(
        reverse("admin:password_change"),
        {"old_password": password, "new_password1": "abcdefghijkl", "new_password2": "abcdefghijkl"},
    )
    assert response.status_code == 200 and "至少混合" in response.content.decode()
    user.refresh_from_db()
    assert user.check_password(password)


def test_an_idle_session_lasts_30_minutes_and_each_request_renews_it(client, settings):
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    client.force_login(UserFactory(role=Role.HEALTH_BUREAU))
    response = client.get(reverse("admin:index"))
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["max-age"] == 30 * 60  # renewed by this request, not only at sign-in


def test_a_password_change_revokes_the_accounts_api_tokens(client, password):
    user = UserFactory(username="system-owner", role=Role.HEALTH_BUREAU)
    key = api_token(user)
    assert client.get("/api/v1/institutions/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 200
    client.force_login(user)
    response = client.post(
        reverse("admin:password_change"),
        {"old_password": password, "new_password1": "Ouhai-river-26", "new_password2": "Ouhai-river-26"},
    )
    assert response.status_code == 302
    token = ApiToken.objects.get(user=user)
    assert token.state() == "revoked" and token.revoked_at is not None
    assert token.history.latest().history_user == user  # who changed the password, and so revoked it
    client.logout()
    assert client.get("/api/v1/institutions/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 401
