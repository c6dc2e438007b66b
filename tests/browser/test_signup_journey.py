"""An institution signs itself up on a phone (390 px): it is refused a session until its account is
activated, by the health bureau or by the code sent to the phone on record, and then it gets in."""

import json
import re

import pytest

from luchen_care.exchange.models import PushDelivery
from luchen_care.exchange.services import delivery_attempt
from registry.models import PortalSignup, SignupState
from registry.services.signups import CODE_TOPIC
from tests.exchange.conftest import SMS_PATH
from tests.factories import InstitutionFactory, RegistrationFactory, make_credit_code

from .conftest import Visit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PASSWORD = "Jigou-zhuce-2026!"
PHONE = "13905770002"
NUMBER = "330302MA0000BROWSE1"


@pytest.fixture
def registered(db):
    institution = InstitutionFactory(
        name="鹿城区手机注册托育园", credit_code=make_credit_code(880_101), contact_phone=PHONE
    )
    RegistrationFactory(
        credit_code=institution.credit_code,
        registration_number=NUMBER,
        institution_name=institution.name,
        street_code=institution.street.code,
        address=institution.address,
        legal_representative=institution.legal_representative,
    )
    return institution


@pytest.fixture
def phone(browser, live_server, shot_dir):
    """The institution's phone: a 390 px wide touch screen."""
    context = browser.new_context(
        locale="zh-CN", viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True, has_touch=True
    )
    context.set_default_timeout(15_000)
    try:
        yield Visit(context, live_server, shot_dir)
    finally:
        context.close()


def fits_the_screen(page):
    return page.evaluate("document.documentElement.scrollWidth") <= 390


def sign_up(phone, institution, shot):
    page = phone.page
    # (The portal's sign-in page links here: inst-accounts' login.html, id="to-signup".)
    phone.goto("/portal/signup/")
    page.wait_for_selector("#signup-form")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    page.fill("#id_credit_code", institution.credit_code)
    page.fill("#id_registration_number", NUMBER)
    page.fill("#id_phone", "139 0577 0002")
    page.fill("#id_username", "shouji-jigou")
    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    assert fits_the_screen(page)
    assert page.locator("#signup-form button[type=submit]").bounding_box()["height"] >= 44
    phone.shot(f"{shot}-1-signup-form")
    page.click("#signup-form button[type=submit]")


def portal_sign_in(phone, password=PASSWORD):
    page = phone.page
    phone.goto("/portal/login/")
    page.fill("#id_username", "shouji-jigou")
    page.fill("#id_password", password)
    page.click("main form button.primary")
    page.wait_for_load_state()


def test_signs_up_is_refused_until_the_bureau_activates_and_then_gets_in(
    phone, visit, registered, health_user, password
):
    page = phone.page
    sign_up(phone, registered, "signup-bureau")
    page.wait_for_selector("#signup-state")
    assert page.url.endswith("/portal/signup/pending/")
    assert "卫生健康局" in page.locator("#signup-state").inner_text()
    assert fits_the_screen(page)
    phone.shot("signup-bureau-2-pending")

    # Knowing the three details and the password is not enough: no session, told why.
    portal_sign_in(phone)
    assert page.url.endswith("/portal/login/")
    assert "尚未激活" in page.locator(".errorlist").inner_text()
    phone.shot("signup-bureau-3-refused")
    phone.goto("/portal/")
    assert "/portal/login/" in page.url

    # The health bureau sees it on its list of pending sign-ups and activates it.
    visit.login(health_user.username, password)
    visit.goto("/admin/registry/portalsignup/?state__exact=pending")
    row = visit.page.locator("#result_list tbody tr", has_text="shouji-jigou")
    row.locator("input.action-select").check()
    visit.page.select_option("select[name=action]", "activate")
    visit.page.click("button[name=index]")
    visit.page.wait_for_selector("#signup-decision-form")
    visit.page.fill("#id_comment", "已电话核实")
    visit.shot("signup-bureau-4-activate")
    visit.page.click("#signup-decision-form .submit-row input[type=submit]")
    visit.page.wait_for_selector(".messagelist .success")
    assert PortalSignup.objects.get().state == SignupState.ACTIVATED

    # Now it gets in, and lands on its workbench.
    portal_sign_in(phone)
    assert page.url.endswith("/portal/")
    assert registered.name in page.locator(".portal-institution").inner_text()
    assert fits_the_screen(page)
    phone.shot("signup-bureau-5-workbench")
    assert phone.foreign_requests == []


def test_signs_up_and_gets_in_with_the_code_sent_to_the_phone_on_record(phone, registered, notice_settings, receiver):
    page = phone.page
    sign_up(phone, registered, "signup-code")
    page.wait_for_selector("#signup-code-form")
    # The code went out by SMS (the worker's attempt, made here) to the phone on record.
    [row] = PushDelivery.objects.filter(topic=CODE_TOPIC)
    assert delivery_attempt(delivery_id=row.pk).outcome == "delivered"
    [request] = receiver.received(SMS_PATH)
    document = json.loads(request.body.decode("utf-8"))
    assert document["phone"] == PHONE
    code = re.search(r"(?<!\d)\d{6}(?!\d)", document["text"]).group()
    assert fits_the_screen(page)
    phone.shot("signup-code-2-code-page")

    # Not signed in before the code: the portal sends it to the sign-in.
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    page.fill("#id_code", wrong)
    page.click("#signup-code-form button[type=submit]")
    page.wait_for_selector(".errorlist")
    assert "4" in page.locator(".errorlist").inner_text()
    phone.shot("signup-code-3-wrong-code")

    page.fill("#id_code", code)
    page.click("#signup-code-form button[type=submit]")
    page.wait_for_url("**/portal/")
    assert registered.name in page.locator(".portal-institution").inner_text()
    phone.shot("signup-code-4-workbench")
    assert PortalSignup.objects.get().state == SignupState.ACTIVATED


def test_a_long_form_loses_nothing_to_a_reload_or_a_lost_connection(phone, registered):
    """The sign-up keeps what was typed (never the passwords) across a reload, will not submit while
    the phone is offline, and forgets its copy once the platform has the sign-up."""
    page = phone.page
    phone.goto("/portal/signup/")
    page.fill("#id_credit_code", registered.credit_code)
    page.fill("#id_registration_number", NUMBER)
    page.fill("#id_phone", PHONE)
    page.fill("#id_username", "shouji-jigou")
    page.fill("#id_password1", PASSWORD)
    page.wait_for_function("() => (localStorage.getItem('lucheng-autosave:signup') || '').includes('shouji-jigou')")

    page.reload()  # the tab was killed, the browser crashed, the page was opened again
    assert page.input_value("#id_credit_code") == registered.credit_code
    assert page.input_value("#id_registration_number") == NUMBER
    assert page.input_value("#id_username") == "shouji-jigou"
    assert page.input_value("#id_password1") == ""  # passwords are never kept
    assert "已恢复" in page.locator(".autosave-notice").inner_text()

    phone.context.set_offline(True)
    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    page.click("#signup-form button[type=submit]")
    assert "网络" in page.locator(".autosave-notice").inner_text()
    assert page.url.endswith("/portal/signup/") and not PortalSignup.objects.exists()
    phone.shot("signup-offline")

    phone.context.set_offline(False)
    page.click("#signup-form button[type=submit]")
    page.wait_for_selector("#signup-state")
    assert PortalSignup.objects.get().account.username == "shouji-jigou"
    phone.goto("/portal/signup/")  # the platform has it: the copy is gone
    assert page.input_value("#id_credit_code") == ""
    assert page.locator(".autosave-notice").count() == 0
