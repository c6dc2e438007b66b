"""The admin index is the staff workbench: the providers' entries first, most urgent first, each a
count and a link; the tables below, folded. (The registry's own entries: tests/registry/test_workbench.py.)"""

import re

import pytest
from django.contrib import admin
from django.urls import reverse

from luchen_care.accounts.models import STAFF_ROLES, Role
from luchen_care.core import workbench
from luchen_care.core.sites import WorkbenchAdminSite
from luchen_care.core.workbench import Audience, Bar, Chart, Entry
from tests.accounts.factories import UserFactory
from tests.registry.factories import street

pytestmark = pytest.mark.django_db
INDEX = reverse("admin:index")


@pytest.fixture
def providers(monkeypatch):
    """An empty registry for the test's own providers (the apps' are put back afterwards)."""
    monkeypatch.setattr(workbench, "_providers", {audience: [] for audience in Audience})
    monkeypatch.setattr(workbench, "_chart_providers", {audience: [] for audience in Audience})


def staff_user(role):
    extra = {"street": street()} if role == Role.STREET_OFFICE else {}
    if role == Role.REGISTRATION_AUTHORITY:
        extra["authority"] = "market_regulation"
    if role == Role.CITY_HEALTH_COMMISSION:
        extra.update(county=None, city_code="3303")
    return UserFactory(role=role, **extra)


def test_the_default_admin_site_is_the_workbench():
    assert isinstance(admin.site, WorkbenchAdminSite)


def test_the_index_lists_the_entries_urgent_first_above_the_folded_tables(client, providers):
    seen = []

    def tasks(user):
        seen.append(user)
        return [
            Entry(key="test.later", label="待办甲", count=3, url="/admin/registry/registration/?a=1", order=5),
            Entry(key="test.none", label="无事丙", count=0, url="/admin/registry/registration/?c=1", order=1),
        ]

    def overdue(user):
        return [
            Entry(
                key="test.overdue",
                label="逾期乙",
                count=2,
                url="/admin/registry/registration/?b=1",
                urgent=True,
                order=90,
            )
        ]

    workbench.workbench_register(tasks, audience=Audience.STAFF)
    workbench.workbench_register(overdue, audience=Audience.STAFF)
    workbench.workbench_register(
        lambda user: [Entry(key="test.portal", label="机构丁", count=1, url="/portal/")], audience=Audience.PORTAL
    )
    user = UserFactory(role=Role.HEALTH_BUREAU)
    client.force_login(user)

    page = client.get(INDEX).content.decode()

    assert seen == [user]
    assert page.index("逾期乙") < page.index("无事丙") < page.index("待办甲")  # urgent first, then by order
    assert '<li id="todo-testoverdue" class="urgent"><a href="/admin/registry/registration/?b=1"' in page
    assert 'data-count="2"' in page and 'data-count="3"' in page
    assert 'class="count zero" data-count="0"' in page
    assert "机构丁" not in page  # the portal's entries are the institutions'
    assert page.index("待办甲") < page.index('<details class="all-tables">') < page.index("全部数据列表")
    assert page.index("全部数据列表") < page.index(reverse("admin:registry_institution_changelist"))


def test_with_nothing_to_do_the_page_says_so_and_opens_the_tables(client, providers):
    client.force_login(UserFactory(role=Role.HEALTH_BUREAU))
    page = client.get(INDEX).content.decode()
    assert "目前没有待办事项。" in page
    assert '<details class="all-tables" open>' in page


@pytest.mark.parametrize("role", sorted(STAFF_ROLES))
def test_every_staff_role_lands_on_its_workbench_in_chinese(client, role):
    client.force_login(staff_user(role))
    response = client.get(INDEX)
    assert response.status_code == 200
    page = response.content.decode()
    assert '<h2 id="workbench-heading">待办</h2>' in page
    assert 'aria-label="待办"' in page or "目前没有待办事项。" in page


def test_outside_the_staff_the_index_is_the_sign_in(client):
    response = client.get(INDEX)
    assert response.status_code == 302 and response["Location"].startswith(reverse("admin:login"))
    client.force_login(UserFactory(role=Role.INSTITUTION, is_staff=False))
    response = client.get(INDEX)
    assert response.status_code == 302 and "待办" not in response.content.decode()


def test_charts_are_bars_of_counts_with_their_links_and_no_script(client, providers):
    def chart(user):
        bars = (
            Bar(label="甲街道", count=4, url="/admin/registry/registration/?s=1"),
            Bar(label="乙街道", count=1, url="/admin/registry/registration/?s=2"),
        )
        return [Chart(key="test.bars", title="图表甲", bars=bars), Chart(key="test.empty", title="空图表", bars=())]

    workbench.workbench_chart_register(chart, audience=Audience.STAFF)
    workbench.workbench_chart_register(chart, audience=Audience.STAFF)  # registered once
    client.force_login(UserFactory(role=Role.HEALTH_BUREAU))
    page = client.get(INDEX).content.decode()
    assert page.count("图表甲") == 1
    assert "空图表" not in page  # a chart without bars is left out
    assert '<a href="/admin/registry/registration/?s=1" class="label" data-key="test.bars">甲街道</a>' in page
    assert 'style="width: 100%"' in page and 'style="width: 25%"' in page
    # Nothing the Content-Security-Policy would refuse: every script is a file.
    assert re.findall(r"<script(?![^>]*\ssrc=)[^>]*>", page) == []
