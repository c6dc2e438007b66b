"""An institution reads the notice that waited in its portal inbox, on a 390 px phone."""

import pytest

from luchen_care.accounts.models import Role, User
from luchen_care.exchange.services import person_notice_enqueue
from tests.factories import InstitutionFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PASSWORD = "Portal-test-2026!"
LONG_LINK = "https://tuoyu.lucheng.gov.cn/portal/filing/2027/materials/fire-safety-acceptance-certificate"


def fits_the_phone(page):
    """No sideways scrolling at the phone's width."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_the_institution_reads_its_inbox_on_a_phone(browser, live_server, shot_dir):
    institution = InstitutionFactory(name="小太阳托育中心")
    User.objects.create_user(username="xiaotaiyang", password=PASSWORD, role=Role.INSTITUTION, institution=institution)
    person_notice_enqueue(
        topic="tests.filing_correction",
        subject=institution,
        title="备案材料补正通知：请补充消防验收合格证明",
        text=f"小太阳托育中心：\n经审核，贵机构的备案材料缺少消防验收合格证明，请于五个工作日内补正。\n上传入口：{LONG_LINK}",
        email="yuanzhang@example.cn",
    )
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/portal/login/")
        page.fill("#id_username", "xiaotaiyang")
        page.fill("#id_password", PASSWORD)
        page.click(".portal-main button.primary")
        entry = page.locator('[data-key="exchange.unread_messages"]')
        assert entry.locator(".count").inner_text() == "1"
        assert entry.bounding_box()["height"] >= 44
        page.screenshot(path=str(shot_dir / "portal-inbox-1-workbench.png"), full_page=True)
        entry.click()
        page.wait_for_url("**/portal/inbox/?unread=1")
        item = page.locator(".inbox li.unread a")
        assert item.count() == 1 and item.bounding_box()["height"] >= 44
        assert fits_the_phone(page)
        page.screenshot(path=str(shot_dir / "portal-inbox-2-list.png"), full_page=True)
        item.click()
        page.wait_for_selector(".message-text")
        assert "消防验收合格证明" in page.inner_text(".message-text")
        assert page.locator(f'.message-text a[href="{LONG_LINK}"]').count() == 1
        assert fits_the_phone(page)
        page.screenshot(path=str(shot_dir / "portal-inbox-3-message.png"), full_page=True)
        page.goto(f"{live_server.url}/portal/")
        assert page.locator('[data-key="exchange.unread_messages"] .count').inner_text() == "0"
    finally:
        context.close()
