"""The institution's portal inbox: the notices that went out through no e-mail or SMS wait there,
for the institution's own people only; opening one marks it read."""

import pytest
from django.urls import reverse

from luchen_care.accounts.models import Role, User
from luchen_care.core.workbench import Audience, workbench_entries
from luchen_care.exchange.models import Channel, PushDelivery
from luchen_care.exchange.services import person_notice_enqueue
from tests.accounts.factories import UserFactory
from tests.factories import InstitutionFactory

pytestmark = pytest.mark.django_db


def portal_user(institution, username):
    return User.objects.create_user(
        username=username, password="Portal-test-2026!", role=Role.INSTITUTION, institution=institution
    )


def notice(institution, *, topic="tests.notice", title="备案材料补正通知", text="请于五个工作日内补正备案材料。"):
    [row] = person_notice_enqueue(topic=topic, subject=institution, title=title, text=text, email="a@example.cn")
    assert row.channel == Channel.PORTAL  # nothing configured: the inbox
    return row


@pytest.fixture
def ours():
    return InstitutionFactory(name="小太阳托育中心")


@pytest.fixture
def theirs():
    return InstitutionFactory(name="月亮湾托育园")


def test_the_inbox_lists_its_own_messages_newest_first_unread_marked(client, ours, theirs):
    first = notice(ours, topic="tests.first", title="第一条通知")
    second = notice(ours, topic="tests.second", title="第二条通知")
    notice(theirs, title="别家机构的通知", text="月亮湾托育园的整改意见")
    client.force_login(portal_user(ours, "xiaotaiyang"))
    page = client.get(reverse("portal:inbox"))
    assert page.status_code == 200
    html = page.content.decode()
    assert html.index("第二条通知") < html.index("第一条通知")
    assert "别家机构的通知" not in html and "月亮湾" not in html
    assert html.count('class="unread"') == 2 and html.count('class="unread-mark"') == 2
    assert reverse("portal:inbox-message", args=[first.pk]) in html
    assert reverse("portal:inbox-message", args=[second.pk]) in html
    assert 'href="/portal/inbox/"' in html  # the menu entry (messages)


def test_opening_a_message_shows_it_and_marks_it_read_once(client, ours):
    row = notice(ours, text="整改意见：请补充消防验收材料。\n详见 https://care.example/docs/1")
    user = portal_user(ours, "xiaotaiyang")
    client.force_login(user)
    page = client.get(reverse("portal:inbox-message", args=[row.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "备案材料补正通知" in html and "请补充消防验收材料" in html
    assert 'href="https://care.example/docs/1"' in html
    row.refresh_from_db()
    assert row.read_by == user and row.read_at is not None
    assert row.history.latest().history_user == user
    first_read = row.read_at
    colleague = portal_user(ours, "tongshi")
    client.force_login(colleague)
    html = client.get(reverse("portal:inbox-message", args=[row.pk])).content.decode()
    row.refresh_from_db()
    assert row.read_by == user and row.read_at == first_read  # the first reader stays
    assert "xiaotaiyang" in html  # who read it first
    assert 'class="unread"' not in client.get(reverse("portal:inbox")).content.decode()


def test_another_institutions_message_is_not_found(client, ours, theirs):
    row = notice(theirs, text="月亮湾托育园的整改意见")
    client.force_login(portal_user(ours, "xiaotaiyang"))
    response = client.get(reverse("portal:inbox-message", args=[row.pk]))
    assert response.status_code == 404
    assert "月亮湾托育园的整改意见" not in response.content.decode()
    row.refresh_from_db()
    assert row.read_at is None


def test_other_deliveries_are_no_inbox_messages(client, ours, settings):
    """Only PORTAL rows: the bureau's inbox rows (the registrations' pushes) are not the institution's."""
    row = notice(ours)
    PushDelivery.objects.filter(pk=row.pk).update(channel=Channel.INBOX)
    client.force_login(portal_user(ours, "xiaotaiyang"))
    assert client.get(reverse("portal:inbox-message", args=[row.pk])).status_code == 404
    assert "备案材料补正通知" not in client.get(reverse("portal:inbox")).content.decode()


def test_a_head_office_reads_its_branchs_messages(client):
    head = InstitutionFactory(name="连锁总部托育")
    branch = InstitutionFactory(name="连锁分园托育", head_office=head)
    row = notice(branch, title="分园的通知")
    client.force_login(portal_user(head, "zongbu"))
    assert client.get(reverse("portal:inbox-message", args=[row.pk])).status_code == 200
    client.force_login(portal_user(branch, "fenyuan"))
    assert client.get(reverse("portal:inbox-message", args=[notice(head, title="总部的通知").pk])).status_code == 404


@pytest.mark.parametrize("url_name", ["portal:inbox", "portal:inbox-message"])
def test_only_the_portals_people_enter(client, ours, url_name):
    row = notice(ours)
    url = reverse(url_name, args=[row.pk] if url_name.endswith("message") else [])
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith(reverse("portal:login"))
    client.force_login(UserFactory(role=Role.HEALTH_BUREAU))
    assert client.get(url).status_code == 404
    row.refresh_from_db()
    assert row.read_at is None


def test_the_workbench_counts_the_unread_messages_it_links_to(client, ours, theirs):
    for n in range(3):
        notice(ours, topic=f"tests.n{n}", title=f"通知{n}")
    notice(theirs)
    user = portal_user(ours, "xiaotaiyang")
    client.force_login(user)
    client.get(reverse("portal:inbox-message", args=[PushDelivery.objects.filter(subject_id=ours.pk).first().pk]))
    [entry] = [e for e in workbench_entries(user, audience=Audience.PORTAL) if e.key == "exchange.unread_messages"]
    assert entry.count == 2
    listed = client.get(entry.url).content.decode()
    assert listed.count('class="unread"') == 2 and 'class="read"' not in listed
    home = client.get(reverse("portal:home")).content.decode()
    assert 'data-key="exchange.unread_messages"' in home and 'data-count="2"' in home


def test_the_inbox_asks_the_same_queries_whatever_its_size(client, ours, django_assert_max_num_queries):
    client.force_login(portal_user(ours, "xiaotaiyang"))
    notice(ours, topic="tests.one")
    with django_assert_max_num_queries(12) as few:
        client.get(reverse("portal:inbox"))
    for n in range(20):
        notice(ours, topic=f"tests.many{n}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("portal:inbox"))
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("portal:home"))
