"""The institution's first steps on a phone (390 px): it follows its invitation link, sets a password,
signs in, invites a colleague and sees its workbench."""

import pytest

from luchen_care.accounts.models import Invitation, Role, User
from luchen_care.accounts.services.institution_accounts import invitation_issue
from tests.factories import InstitutionFactory, UserFactory

from .conftest import NoBrowser, Visit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
PASSWORD = "Qing-Cao-Di-2026!"


@pytest.fixture
def phone(browser, live_server, shot_dir):
    """A phone's browser: 390 px wide, touch, Chinese."""
    if isinstance(browser, NoBrowser):
        yield browser
        return
    context = browser.new_context(
        locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, device_scale_factor=2
    )
    context.set_default_timeout(15_000)
    try:
        yield Visit(context, live_server, shot_dir)
    finally:
        context.close()


def no_horizontal_scroll(page):
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_an_institution_follows_its_invitation_signs_in_and_invites_a_colleague(phone, live_server, settings):
    settings.PUBLIC_BASE_URL = live_server.url  # the links print the platform's public address
    institution = InstitutionFactory(name="小太阳托育中心")
    bureau = UserFactory(username="bureau-officer", role=Role.HEALTH_BUREAU)
    issued = invitation_issue(
        actor=bureau, institution=institution, name="张园长", phone="13812345678", administrator=True,
        send=False,
    )  # fmt: skip
    page = phone.page

    # The link from the printed page (or the SMS): the page reads the code after "#" and checks it.
    page.goto(issued.url)
    page.wait_for_selector("#invitation-accept-form")
    assert "小太阳托育中心" in page.inner_text("#invitation-for")
    assert "#" not in page.url  # the code left the address bar
    assert page.input_value("#id_username") == "13812345678"
    phone.shot("institution-01-invitation")
    page.fill("#id_username", "xiaotaiyang")
    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    page.click("#invitation-accept-form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/portal/")
    assert "账号已开通" in page.inner_text(".messages")
    assert no_horizontal_scroll(page)
    phone.shot("institution-02-workbench-first")
    user = User.objects.get(username="xiaotaiyang")
    assert user.institution == institution and user.institution_administrator and not user.is_staff

    # Signs out, then in again on the portal's sign-in page.
    page.click(".portal-logout button")
    page.wait_for_selector("#portal-login-form")
    assert page.is_visible("#forgot-password")
    phone.shot("institution-03-sign-in")
    page.fill("#id_username", "xiaotaiyang")
    page.fill("#id_password", PASSWORD)
    page.click("#portal-login-form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/portal/")

    # Invites a colleague from the colleagues page, and gets the link to print.
    page.click("nav.portal-nav >> text=同事账号")
    page.wait_for_selector("#colleagues")
    assert no_horizontal_scroll(page)
    phone.shot("institution-04-colleagues")
    page.click("#invite-colleague")
    page.fill("#id_name", "王老师")
    page.fill("#id_phone", "13700002222")
    phone.shot("institution-05-invite")
    page.click("#invite-form button[type=submit]")
    page.wait_for_selector("#printable-link-1")
    link = page.inner_text("#printable-link-1 [data-link]")
    assert "/portal/invitation/#" in link
    assert page.locator("#printable-link-1 svg").count() == 1
    assert no_horizontal_scroll(page)
    phone.shot("institution-06-printable-invitation")
    colleague = Invitation.objects.get(name="王老师")
    assert colleague.institution == institution and colleague.created_by == user and not colleague.administrator

    # Back to the colleagues page (the invitation waits), then the workbench.
    page.click("#print-back")
    page.wait_for_selector("#invitations")
    assert "王老师" in page.inner_text("#invitations")
    page.click("nav.portal-nav >> text=工作台")
    page.wait_for_url(f"{live_server.url}/portal/")
    assert "小太阳托育中心" in page.inner_text(".portal-institution")
    assert no_horizontal_scroll(page)
    phone.shot("institution-07-workbench")
    assert phone.foreign_requests == []
