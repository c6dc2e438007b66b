"""Login limits (django-axes): guessing stops, a named officer or a whole office is never locked out
by someone else, on the admin login and on the token endpoint alike."""

import pytest
from django.urls import reverse

from luchen_care.accounts.models import Role
from luchen_care.accounts.services import account_unlock
from luchen_care.regions.models import County
from registry.services.streets import county_streets_load
from tests.accounts.factories import api_token
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

OFFICE = "10.20.30.40"  # the bureau's 政务外网 egress address, shared by every officer
HOME = "10.99.0.7"
LOGIN = "/admin/login/"
TOKEN = "/api/v1/auth/token/"


def admin_login(client, username, password, address=OFFICE, **headers):
    return client.post(
        LOGIN, {"username": username, "password": password, "next": "/admin/"}, REMOTE_ADDR=address, **headers
    )


def signed_in(response):
    return response.status_code == 302 and response["Location"] == "/admin/"


@pytest.fixture
def officer(db, password):
    return UserFactory(username="officer", role=Role.HEALTH_BUREAU)


@pytest.fixture
def colleague(db, password):
    return UserFactory(username="colleague", role=Role.HEALTH_BUREAU)


def test_five_wrong_passwords_lock_that_user_out_from_that_address_only(client, officer, colleague, password):
    statuses = [admin_login(client, "officer", "wrong-password").status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 200, 429]  # the form's error four times, then the lockout
    refused = admin_login(client, "officer", password)
    assert refused.status_code == 429
    page = refused.content.decode()
    assert "登录失败次数过多" in page and "后再试" in page  # when to try again, in Chinese

    assert signed_in(admin_login(client, "officer", password, address=HOME))  # from elsewhere: fine
    client.logout()
    assert signed_in(admin_login(client, "colleague", password))  # behind the same address: fine


def test_a_forged_x_forwarded_for_on_each_try_still_locks_out(client, officer, password):
    for n in range(40):
        admin_login(client, "officer", "wrong-password", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")
    assert admin_login(client, "officer", password, HTTP_X_FORWARDED_FOR="198.51.100.1").status_code == 429


def test_behind_a_trusted_proxy_the_proxys_entry_is_the_address(client, settings, officer, password):
    settings.TRUSTED_PROXY_COUNT = 1
    for _ in range(5):
        admin_login(client, "officer", "wrong-password", address="127.0.0.1", HTTP_X_FORWARDED_FOR=f"6.6.6.6, {OFFICE}")
    # The proxy appended the client it saw; what the client wrote before it is not believed.
    assert (
        admin_login(
            client, "officer", password, address="127.0.0.1", HTTP_X_FORWARDED_FOR=f"7.7.7.7, {OFFICE}"
        ).status_code
        == 429
    )
    assert signed_in(admin_login(client, "officer", password, address="127.0.0.1", HTTP_X_FORWARDED_FOR=HOME))


def test_many_usernames_tried_from_one_address_lock_the_address(client, settings, officer, password):
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 12
    for n in range(12):
        admin_login(client, f"guess{n}", "wrong-password")  # never the same username five times
    assert admin_login(client, "officer", password).status_code == 429
    assert signed_in(admin_login(client, "officer", password, address=HOME))


def test_the_token_endpoint_counts_failures_and_answers_a_lockout_in_the_apis_shape(client, officer, password):
    api = {"content_type": "application/json", "REMOTE_ADDR": OFFICE}
    statuses = [client.post(TOKEN, {"username": "officer", "password": "wrong"}, **api).status_code for _ in range(5)]
    assert statuses == [400, 400, 400, 400, 429]
    locked = client.post(TOKEN, {"username": "officer", "password": password}, **api)
    assert locked.status_code == 429
    assert locked.json()["error"]["code"] == "locked_out" and "后再试" in locked.json()["error"]["message"]
    other = client.post(
        TOKEN, {"username": "officer", "password": password}, content_type="application/json", REMOTE_ADDR=HOME
    )
    assert other.status_code == 200 and other.json()["token"]


def test_the_token_endpoint_is_throttled_even_with_a_valid_token(client, monkeypatch, officer, password):
    from rest_framework.throttling import SimpleRateThrottle

    monkeypatch.setattr(
        SimpleRateThrottle, "THROTTLE_RATES", {**SimpleRateThrottle.THROTTLE_RATES, "login": "3/minute"}
    )
    key = api_token(UserFactory(role=Role.API_CLIENT))
    statuses = [
        client.post(
            TOKEN, {"username": "nobody", "password": "x"}, content_type="application/json", REMOTE_ADDR=OFFICE,
            HTTP_AUTHORIZATION=f"Token {key}",
        ).status_code
        for _ in range(4)
    ]  # fmt: skip
    assert statuses == [400, 400, 400, 429]


def test_a_county_administrator_unlocks_its_own_countys_accounts_only(client, officer, password, db):
    county_streets_load(code="330303")
    longwan = UserFactory(username="longwan-officer", role=Role.HEALTH_BUREAU, county=County.objects.get(code="330303"))
    admin_user = UserFactory(username="county-admin", role=Role.HEALTH_BUREAU, county_administrator=True)
    for username in ("officer", "longwan-officer"):
        for _ in range(5):
            admin_login(client, username, "wrong-password")
    assert admin_login(client, "officer", password).status_code == 429

    client.force_login(admin_user)
    response = client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "unlock", "_selected_action": [officer.pk, longwan.pk]},
        REMOTE_ADDR=HOME,
    )
    assert response.status_code == 302
    client.logout()
    assert signed_in(admin_login(client, "officer", password))
    client.logout()
    assert admin_login(client, "longwan-officer", password).status_code == 429  # not its county's
    with pytest.raises(Exception, match="本县（区）|county"):
        account_unlock(actor=admin_user, accounts=[longwan])
