"""An expired session during a long form loses nothing: the officer signs in again and submits."""

import pytest
from django.contrib.sessions.models import Session

from luchen_care.accounts.models import Role
from tests.factories import InstitutionFactory, UserFactory
from tests.otp import Authenticator

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_a_form_posted_after_the_session_expired_is_kept_and_submitted_after_signing_in(visit, password):
    health = UserFactory(username="expiry-health", role=Role.HEALTH_BUREAU)
    institution = InstitutionFactory(name="会话超时测试托育园", address="旧地址1号")
    page = visit.page
    visit.login(health.username, password)
    visit.goto(f"/admin/registry/institution/{institution.pk}/change/")
    page.fill("#id_address", "温州市示例路88号（会话超时后提交）")

    Session.objects.all().delete()  # the meeting ran long: the idle session has ended on the server
    page.click("input[name=_save]")
    page.wait_for_selector("#login-form")
    institution.refresh_from_db()
    assert institution.address == "旧地址1号"  # nothing saved while signed out
    visit.shot("s1-login-after-expiry")

    page.fill("#id_username", health.username)
    page.fill("#id_password", password)
    page.fill("#id_otp_token", Authenticator.of(health).code())  # the officer's second factor
    page.click("#login-form input[type=submit]")
    page.wait_for_selector("#kept-post")
    assert "已为您保留" in page.locator("#content-main").inner_text()
    visit.shot("s2-kept-input")

    page.click("#submit-again")
    page.wait_for_selector(".messagelist")
    institution.refresh_from_db()
    assert institution.address == "温州市示例路88号（会话超时后提交）"
    assert institution.history.first().history_user == health
