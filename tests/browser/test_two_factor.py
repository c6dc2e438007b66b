"""Two-factor sign-in in the browser, as a bureau officer meets it (REQUIRE_2FA on)."""

import json
import time

import pytest

from luchen_care.accounts.models import Role
from tests.accounts.factories import UserFactory
from tests.otp import code_for_key

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_a_bureau_officer_enrols_signs_out_and_needs_the_code_to_sign_in_again(visit, password, shot_dir):
    officer = UserFactory(username="officer", role=Role.HEALTH_BUREAU, first_name="晓", last_name="王")
    page = visit.page

    # First sign-in: the password, then enrolment before anything else.
    visit.goto("/admin/login/")
    page.fill("#id_username", officer.username)
    page.fill("#id_password", password)
    page.click("#login-form input[type=submit]")
    page.wait_for_selector("#qr-code svg")
    assert "/admin/two-factor/" in page.url
    visit.shot("two-factor-1-enrol")
    secret = page.inner_text("#totp-secret")
    page.fill("#id_otp_token", code_for_key(secret))
    page.click("#two-factor-form input[type=submit]")
    page.wait_for_selector("#recovery-codes")
    assert len(page.query_selector_all("#recovery-codes li")) == 10
    visit.shot("two-factor-2-recovery-codes")
    page.click("#two-factor-continue")
    page.wait_for_selector("#user-tools")
    assert page.url.rstrip("/").endswith("/admin")

    # Signed out, the password alone no longer signs in.
    page.click("#logout-form button")
    visit.goto("/admin/login/")
    page.fill("#id_username", officer.username)
    page.fill("#id_password", password)
    page.click("#login-form input[type=submit]")
    page.wait_for_selector(".errornote")
    assert "验证码" in page.inner_text(".errornote")
    assert page.query_selector("#user-tools") is None
    visit.shot("two-factor-3-code-needed")

    # With the code the app shows, it does.
    page.fill("#id_password", password)
    page.fill("#id_otp_token", code_for_key(secret, at=_next_step()))
    page.click("#login-form input[type=submit]")
    page.wait_for_selector("#user-tools")
    assert page.inner_text("#content h1")  # the workbench

    # And the same officer gets no API token with the password alone.
    answer = page.request.post(
        f"{visit.base}/api/v1/auth/token/",
        data=json.dumps({"username": officer.username, "password": password}),
        headers={"Content-Type": "application/json"},
    )
    assert answer.status == 400
    assert answer.json()["error"]["code"] == "otp_required"


def test_the_enrolment_page_fits_a_phone(visit, password):
    UserFactory(username="mobile", role=Role.EDUCATION_BUREAU)
    page = visit.page
    page.set_viewport_size({"width": 390, "height": 844})
    visit.goto("/admin/login/")
    page.fill("#id_username", "mobile")
    page.fill("#id_password", password)
    page.click("#login-form input[type=submit]")
    page.wait_for_selector("#qr-code svg")
    box = page.query_selector("#qr-code svg").bounding_box()
    assert box["width"] > 100 and box["x"] + box["width"] <= 390  # the whole QR code is on the screen
    visit.shot("two-factor-phone")


def _next_step():
    """A time in the next 30-second step: the enrolment used this step's code, and each is used once."""
    return time.time() + 30
