"""The main journeys through the platform, in a real browser, in Chinese.

Each test is one person doing one thing end to end: the health bureau finding and exporting
institutions, a street office confined to its street, an edit that shows up in the history,
and a visitor arriving at the home page and the API docs.
"""

import re

import pytest
from openpyxl import load_workbook

from luchen_care.accounts.models import Role
from luchen_care.regions.models import County
from luchen_care.regions.services import county_brand
from registry.models import InstitutionKind
from tests.factories import InstitutionFactory, UserFactory, street

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

WUMA, QIDU, BINJIANG = "330302006", "330302023", "330302024"


@pytest.fixture
def institutions(db):
    """Five institutions in three streets, with names no other one contains."""
    return {
        "wuma_sun": InstitutionFactory(name="五马阳光托育园", street=street(WUMA)),
        "wuma_class": InstitutionFactory(
            name="五马实验幼儿园托班", street=street(WUMA), nursery_class=True, inclusive=True
        ),
        "qidu_star": InstitutionFactory(name="七都星星托育中心", street=street(QIDU)),
        "qidu_community": InstitutionFactory(
            name="七都社区嵌入式托育点", street=street(QIDU), kind=InstitutionKind.COMMUNITY
        ),
        "binjiang": InstitutionFactory(name="滨江贝贝家庭托育点", street=street(BINJIANG), kind=InstitutionKind.FAMILY),
    }


def result_rows(page):
    """The institution list as the user sees it: (name, street) per row."""
    rows = page.locator("#result_list tbody tr")
    return [
        (rows.nth(i).locator("th.field-name").inner_text(), rows.nth(i).locator("td.field-street").inner_text())
        for i in range(rows.count())
    ]


def test_health_bureau_logs_in_filters_by_street_and_exports(visit, health_user, password, institutions, tmp_path):
    """(a) The login page is Chinese; the bureau sees every institution, the filters and the
    Excel button; filtering by 七都街道 leaves only 七都's, and the export holds the same rows."""
    page = visit.page
    visit.goto("/admin/")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert "鹿城托育综合监管平台" in page.title()
    assert page.locator("#site-name").inner_text().startswith("鹿城托育综合监管平台")
    assert page.locator("label[for=id_username]").inner_text().startswith("用户名")
    assert page.locator("label[for=id_password]").inner_text().startswith("密码")
    assert page.locator("#login-form input[type=submit]").get_attribute("value") == "登录"
    visit.shot("a1-login")

    visit.login(health_user.username, password)
    visit.goto("/admin/registry/institution/")
    assert sorted(name for name, _street in result_rows(page)) == sorted(i.name for i in institutions.values())
    filters = page.locator("#changelist-filter").inner_text()
    for title in ["街道/镇", "机构类型", "举办性质", "普惠性", "状态"]:
        assert title in filters
    export = page.locator("#export-xlsx")
    assert export.inner_text().strip() == "导出Excel"
    visit.shot("a2-list")

    page.locator("#changelist-filter").get_by_role("link", name="七都街道", exact=True).click()
    page.wait_for_url(re.compile(r"street__id__exact="))
    rows = result_rows(page)
    assert sorted(rows) == [("七都星星托育中心", "七都街道"), ("七都社区嵌入式托育点", "七都街道")]
    visit.shot("a3-filtered-qidu")

    with page.expect_download() as download_info:
        page.click("#export-xlsx")
    target = tmp_path / "export.xlsx"
    download_info.value.save_as(target)
    sheet = load_workbook(target).active
    header = [cell.value for cell in sheet[1]]
    assert header[:3] == ["名称", "统一社会信用代码", "街道/镇"]
    exported = sorted((row[0], row[2]) for row in sheet.iter_rows(min_row=2, values_only=True))
    assert exported == sorted(rows)


def test_street_office_sees_only_its_street_and_cannot_add(visit, wuma_user, password, institutions):
    """(b) A 五马街道 user gets exactly 五马's institutions, no add button anywhere, and another
    street's institution is not found: its admin page, its history and its API record."""
    page = visit.page
    visit.login(wuma_user.username, password)
    assert page.locator("a.addlink").count() == 0  # not on the admin index either
    visit.goto("/admin/registry/institution/")
    assert sorted(result_rows(page)) == [("五马实验幼儿园托班", "五马街道"), ("五马阳光托育园", "五马街道")]
    assert page.locator(".object-tools a.addlink").count() == 0
    assert "七都" not in page.locator("#result_list").inner_text()
    visit.shot("b1-wuma-list")

    other = institutions["qidu_star"]
    for path in [
        f"/admin/registry/institution/{other.pk}/change/",
        f"/admin/registry/institution/{other.pk}/history/",
    ]:
        response = visit.goto(path)
        assert response.status == 404, path
        assert page.locator("h1").inner_text() == "未找到"
        assert other.name not in page.content()
    visit.shot("b2-other-street-not-found")

    api = page.request.get(f"{visit.base}/api/v1/institutions/{other.pk}/")
    assert api.status == 404
    own = page.request.get(f"{visit.base}/api/v1/institutions/{institutions['wuma_sun'].pk}/")
    assert own.status == 200 and own.json()["name"] == "五马阳光托育园"


def test_health_bureau_edit_shows_in_history(visit, health_user, password, institutions):
    """(c) The bureau changes the approved places; the history names the user and the change."""
    page = visit.page
    institution = institutions["wuma_sun"]
    visit.login(health_user.username, password)
    visit.goto(f"/admin/registry/institution/{institution.pk}/change/")
    assert page.locator("label[for=id_approved_places]").inner_text().startswith("核定托位数")
    assert page.input_value("#id_approved_places") == "50"
    page.fill("#id_approved_places", "65")
    visit.shot("c1-edit")
    page.click("input[name=_continue]")
    page.wait_for_selector("ul.messagelist li.success")
    assert page.input_value("#id_approved_places") == "65"

    page.click("a.historylink")
    page.wait_for_selector("#change-history")
    latest = page.locator("#change-history tbody tr").first
    assert latest.locator("td.history-user").inner_text().strip() == health_user.username
    assert "核定托位数：50 → 65" in latest.inner_text()
    assert "已修改" in latest.inner_text()
    visit.shot("c2-history")

    institution.refresh_from_db()
    assert institution.approved_places == 65
    assert institution.history.first().history_user == health_user


def test_home_page_in_chinese_links_to_admin_and_self_hosted_api_docs(visit):
    """(d) The home page is Chinese and leads to the admin and the API docs; Swagger UI comes
    from our own static files and the page asks nothing of any other host."""
    page = visit.page
    visit.goto("/")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert page.locator("h1").inner_text() == "鹿城托育综合监管平台"
    assert page.locator("#to-admin").inner_text() == "登录工作台"
    assert page.locator("#to-api-docs").inner_text() == "查看接口文档"
    visit.shot("d1-home")

    page.click("#to-admin")
    page.wait_for_selector("#login-form")
    assert page.url.startswith(f"{visit.base}/admin/login/")
    assert page.locator("#login-form input[type=submit]").get_attribute("value") == "登录"

    visit.goto("/")
    page.click("#to-api-docs")
    page.wait_for_url(f"{visit.base}/api/docs/")
    title = page.wait_for_selector(".swagger-ui .info .title")
    assert "鹿城托育综合监管平台 API" in title.inner_text()
    page.wait_for_selector(".swagger-ui .opblock-summary-path >> text=/api/v1/institutions/")
    visit.shot("d2-api-docs")
    assert visit.foreign_requests == []
    bundle = f"{visit.base}/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js"
    assert bundle in visit.requests


def test_language_switcher_turns_the_interface_english_and_back(visit):
    """Chinese first, English on request: the switcher on the home page changes every page, and
    the platform's English name is the one the county record gives (``region brand``)."""
    county_brand(county=County.objects.get(code="330302"), name_en="Lucheng District")
    page = visit.page
    visit.goto("/")
    page.click(".language-switcher button[value=en]")
    page.wait_for_selector("html[lang=en]")
    assert page.locator("h1").inner_text() == "Lucheng District Childcare Supervision Platform"
    visit.goto("/admin/login/")
    assert page.locator("label[for=id_username]").inner_text().startswith("Username")
    visit.shot("e1-login-english")
    page.click(".language-switcher button[value=zh-hans]")
    page.wait_for_selector("html[lang=zh-hans]")
    assert page.locator("label[for=id_username]").inner_text().startswith("用户名")


def test_education_bureau_sees_nursery_classes_only(visit, password, institutions):
    """The education bureau supervises kindergarten nursery classes, and sees nothing else."""
    user = UserFactory(username="education", role=Role.EDUCATION_BUREAU)
    visit.login(user.username, password)
    visit.goto("/admin/registry/institution/")
    assert result_rows(visit.page) == [("五马实验幼儿园托班", "五马街道")]
