"""Two-factor sign-in for staff (REQUIRE_2FA): the admin login, enrolment, recovery codes, the
token endpoint, the pages an unverified session reaches, and an account manager's reset."""

import re
import time

import pytest
from axes.models import AccessAttempt
from django.contrib.admin.models import LogEntry
from django.db import connection
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from luchen_care.accounts.models import Role
from tests.accounts.factories import UserFactory
from tests.factories import street
from tests.otp import Authenticator, code_for_key, sign_in

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token/"


@pytest.fixture(autouse=True)
def _required(settings):
    settings.REQUIRE_2FA = True


def login_post(client, user, password, code=None):
    data = {"username": user.username, "password": password, "next": "/admin/"}
    if code is not None:
        data["otp_token"] = code
    return client.post(reverse("admin:login"), data)


def test_an_enrolled_user_needs_the_code_and_a_wrong_one_counts_as_a_failed_sign_in(health_user, password):
    authenticator = Authenticator.enrol(health_user)
    client = Client()

    without = login_post(client, health_user, password)
    assert without.status_code == 200
    assert "验证码" in without.content.decode()  # "enter the code from your authenticator app"
    assert client.get("/admin/").status_code == 302  # not signed in

    wrong = login_post(client, health_user, password, "000000" if authenticator.code() != "000000" else "111111")
    assert "验证码错误或已过期" in wrong.content.decode()
    assert AccessAttempt.objects.get(username="health").failures_since_start == 1

    time.sleep(1.1)  # after a wrong code the authenticator is tried again only a second later
    right = login_post(client, health_user, password, authenticator.code())
    assert right.status_code == 302
    assert client.get("/admin/").status_code == 200


def test_five_wrong_codes_lock_the_account_out_from_that_address(health_user, password):
    authenticator = Authenticator.enrol(health_user)
    client = Client()
    for _attempt in range(5):
        login_post(client, health_user, password, "999999" if authenticator.code() != "999999" else "888888")
    locked = login_post(client, health_user, password, authenticator.code())
    assert locked.status_code == 429
    assert client.get("/admin/").status_code == 302


def test_a_required_user_enrols_at_first_sign_in_and_gets_recovery_codes_once(health_user, password):
    client = Client()
    assert login_post(client, health_user, password).status_code == 302
    # Signed in with the password only: every page leads to the two-factor page.
    landing = client.get("/admin/registry/institution/")
    assert landing.status_code == 302 and landing["Location"].startswith(reverse("two_factor"))

    page = client.get(landing["Location"]).content.decode()
    assert "<svg" in page and 'id="qr-code"' in page
    secret = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', page).group(1)
    # Reloading shows the same key (the app may have scanned it already).
    assert secret in client.get(reverse("two_factor")).content.decode()

    refused = client.post(reverse("two_factor"), {"action": "enrol", "otp_token": "12345"})
    assert "验证码不匹配" in refused.content.decode()
    assert not TOTPDevice.objects.filter(user=health_user, confirmed=True).exists()

    confirmed = client.post(reverse("two_factor"), {"action": "enrol", "otp_token": code_for_key(secret)})
    codes = re.findall(r"<li><code>([a-z2-7]+)</code></li>", confirmed.content.decode())
    assert len(codes) == 10
    assert "no-store" in confirmed["Cache-Control"]  # nothing keeps the page that shows them
    assert TOTPDevice.objects.get(user=health_user).confirmed
    assert client.get("/admin/registry/institution/").status_code == 200  # this session is verified
    assert not re.findall(r"<li><code>", client.get(reverse("two_factor")).content.decode())  # shown once

    # The codes are not kept as they are: nothing in the token table holds one.
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT token FROM {StaticToken._meta.db_table}")
        stored = {row[0] for row in cursor.fetchall()}
    assert len(stored) == 10 and not stored & set(codes)

    # A recovery code signs in once, in place of the app's code.
    fresh = Client()
    assert login_post(fresh, health_user, password, codes[0]).status_code == 302
    assert fresh.get("/admin/").status_code == 200
    again = login_post(Client(), health_user, password, codes[0])
    assert again.status_code == 200 and "验证码错误或已过期" in again.content.decode()
    assert StaticToken.objects.filter(device__user=health_user).count() == 9


def test_an_unverified_session_reaches_only_the_two_factor_page_and_the_api_refuses_it(health_user, password):
    Authenticator.enrol(health_user)
    client = Client()
    client.force_login(health_user)  # a session without a second factor
    for url in ["/admin/", "/admin/registry/institution/", "/admin/accounts/user/", "/imports/"]:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("two_factor")), url
    api = client.get("/api/v1/institutions/")
    assert api.status_code == 403 and api.json()["error"]["code"] == "two_factor_required"
    verify_page = client.get(reverse("two_factor")).content.decode()
    assert "otp_token" in verify_page and 'id="qr-code"' not in verify_page  # no new QR code for an enrolled user
    assert client.post(reverse("admin:logout")).status_code in (200, 302)


def test_the_verify_form_completes_a_session_and_returns_to_where_the_user_was(health_user):
    authenticator = Authenticator.enrol(health_user)
    client = Client()
    client.force_login(health_user)
    response = client.post(
        reverse("two_factor"),
        {"action": "verify", "otp_token": authenticator.code(), "next": "/admin/registry/institution/"},
    )
    assert response.status_code == 302 and response["Location"] == "/admin/registry/institution/"
    assert client.get("/admin/registry/institution/").status_code == 200
    # An address elsewhere is not followed.
    other = Client()
    other.force_login(health_user)
    away = other.post(
        reverse("two_factor"), {"action": "verify", "otp_token": authenticator.code(), "next": "https://evil.example/"}
    )
    assert away["Location"] == reverse("admin:index")


def test_street_offices_are_not_asked_but_may_enrol(password):
    wuma = UserFactory(username="wuma2", role=Role.STREET_OFFICE, street=street("330302006"), county=None)
    client = Client()
    assert login_post(client, wuma, password).status_code == 302
    assert client.get("/admin/").status_code == 200
    authenticator = Authenticator.enrol(wuma)
    assert login_post(Client(), wuma, password).status_code == 200  # enrolled: the code is needed now
    assert login_post(Client(), wuma, password, authenticator.code()).status_code == 302


def test_the_token_endpoint_asks_staff_for_the_code(health_user, api_user, password):
    client = Client()
    not_enrolled = client.post(TOKEN_URL, {"username": "health", "password": password}, content_type="application/json")
    assert not_enrolled.status_code == 400
    assert not_enrolled.json()["error"]["code"] == "two_factor_not_enrolled"

    authenticator = Authenticator.enrol(health_user)
    alone = client.post(TOKEN_URL, {"username": "health", "password": password}, content_type="application/json")
    assert alone.status_code == 400 and alone.json()["error"]["code"] == "otp_required"
    wrong = client.post(
        TOKEN_URL, {"username": "health", "password": password, "otp": "12a456"}, content_type="application/json"
    )
    assert wrong.status_code == 400 and wrong.json()["error"]["code"] == "otp_invalid"
    right = client.post(
        TOKEN_URL,
        {"username": "health", "password": password, "otp": authenticator.code()},
        content_type="application/json",
    )
    assert right.status_code == 200 and right.json()["token"]

    # Another system's account is no person with a phone: its password is its credential.
    credentials = {"username": api_user.username, "password": password}
    system = client.post(TOKEN_URL, credentials, content_type="application/json")
    assert system.status_code == 200 and system.json()["token"]


def test_with_require_2fa_off_nobody_is_asked_unless_enrolled(settings, health_user, password):
    settings.REQUIRE_2FA = False
    client = Client()
    assert login_post(client, health_user, password).status_code == 302
    assert client.get("/admin/registry/institution/").status_code == 200
    token = client.post(TOKEN_URL, {"username": "health", "password": password}, content_type="application/json")
    assert token.status_code == 200


def test_a_county_administrator_resets_a_lost_phone_of_its_county_only(password):
    admin_user = UserFactory(username="admin330302", county_administrator=True)
    ours = UserFactory(username="ours")
    theirs = UserFactory(username="theirs", role=Role.CITY_HEALTH_COMMISSION, county=None, city_code="3303")
    Authenticator.enrol(ours)
    Authenticator.enrol(theirs)
    Authenticator.enrol(admin_user)
    client = Client()
    sign_in(client, admin_user, password)
    listing = client.get(reverse("admin:accounts_user_changelist"))
    assert listing.status_code == 200
    response = client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "reset_two_factor", "_selected_action": [ours.pk, theirs.pk]},
    )
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=ours).exists()
    assert TOTPDevice.objects.filter(user=theirs).exists()  # not its county's account: untouched
    entry = LogEntry.objects.get(object_id=str(ours.pk))
    assert entry.user == admin_user and "两步验证已重置" in entry.get_change_message()
    # The user sets it up again at the next sign-in.
    again = Client()
    assert login_post(again, ours, password).status_code == 302
    assert client.get("/admin/").status_code == 200
    assert again.get("/admin/")["Location"].startswith(reverse("two_factor"))


def test_no_device_page_shows_an_authenticator_secret_in_the_admin(settings, password):
    superuser = UserFactory(username="root2", is_superuser=True)
    Authenticator.enrol(superuser)
    client = Client()
    sign_in(client, superuser, password)
    assert client.get("/admin/otp_totp/totpdevice/").status_code == 404
    assert client.get("/admin/otp_static/staticdevice/").status_code == 404
    key = TOTPDevice.objects.get(user=superuser).key
    page = client.get(reverse("admin:accounts_user_change", args=[superuser.pk])).content.decode()
    assert key not in page
