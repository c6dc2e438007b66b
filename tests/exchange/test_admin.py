"""The push pages in the admin: the health bureau reads them and re-queues failures; nobody else sees them."""

import pytest
from django.urls import reverse

from luchen_care.exchange.models import Channel, DeliveryStatus
from luchen_care.exchange.services import delivery_attempt
from registry.services.push import registration_deliveries

from .conftest import make_registration

pytestmark = pytest.mark.django_db

PAGES = [
    "admin:exchange_pushdelivery_changelist",
    "admin:registry_inboxentry_changelist",
    "admin:registry_digestrun_changelist",
]


@pytest.fixture
def registration(push_settings, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        return make_registration()


@pytest.mark.parametrize("page", PAGES)
def test_the_bureau_sees_the_push_pages(client, health_user, registration, page):
    client.force_login(health_user)
    assert client.get(reverse(page)).status_code == 200


@pytest.mark.parametrize("page", PAGES)
def test_other_staff_do_not(client, wuma_user, market_user, registration, page):
    for user in (wuma_user, market_user):
        client.force_login(user)
        assert client.get(reverse(page)).status_code == 403


def test_inbox_lists_delivered_inbox_rows_only(client, health_user, registration):
    client.force_login(health_user)
    url = reverse("admin:registry_inboxentry_changelist")
    assert registration.registration_number not in client.get(url).content.decode()
    inbox = registration_deliveries(registration).get(channel=Channel.INBOX)
    delivery_attempt(delivery_id=inbox.pk)
    assert registration.registration_number in client.get(url).content.decode()


def test_deliveries_are_read_only(client, health_user, registration):
    client.force_login(health_user)
    row = registration_deliveries(registration).get(channel=Channel.WEBHOOK)
    page = client.get(reverse("admin:exchange_pushdelivery_change", args=[row.pk]))
    assert page.status_code == 200 and b'name="_save"' not in page.content
    assert client.get(reverse("admin:exchange_pushdelivery_add")).status_code == 403


def test_requeue_action(client, health_user, registration, receiver, django_capture_on_commit_callbacks):
    receiver.answer("/exchange/registrations", (410, b"gone"))
    row = registration_deliveries(registration).get(channel=Channel.WEBHOOK)
    delivery_attempt(delivery_id=row.pk)
    client.force_login(health_user)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(
            reverse("admin:exchange_pushdelivery_changelist"),
            {"action": "requeue", "_selected_action": [row.pk]},
            follow=True,
        )
    assert response.status_code == 200
    row.refresh_from_db()
    assert row.status == DeliveryStatus.PENDING and len(callbacks) == 1
    [requeued] = row.history.filter(history_user=health_user)
    assert requeued.status == DeliveryStatus.PENDING and "health" in requeued.history_change_reason
    history = client.get(reverse("admin:exchange_pushdelivery_history", args=[row.pk]))
    assert history.status_code == 200 and "由 health 在 1 次尝试后重新排队" in history.content.decode()


def test_a_delivery_cannot_be_reverted_from_its_history(client, health_user, registration):
    row = registration_deliveries(registration).get(channel=Channel.WEBHOOK)
    delivery_attempt(delivery_id=row.pk)
    first = row.history.order_by("history_date").first()
    client.force_login(health_user)
    url = reverse("admin:exchange_pushdelivery_simple_history", args=[row.pk, first.history_id])
    assert client.get(url).status_code == 200
    assert client.post(url, {}).status_code == 403
    row.refresh_from_db()
    assert row.status == DeliveryStatus.DELIVERED
