"""The push pages in the admin: the health bureau reads them all and re-queues failures; the education
bureau reads its nursery classes' inbox entries and deliveries; nobody else sees them."""

import datetime

import pytest
from django.urls import reverse

from luchen_care.exchange.models import Channel, DeliveryStatus, PushDelivery
from luchen_care.exchange.services import delivery_attempt
from registry.models import Institution, InstitutionKind
from registry.services.push import overdue_digest_send, registration_deliveries
from tests.accounts.factories import UserFactory

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


# --- the education bureau: its nursery classes' rows, nothing else -------------------------------


@pytest.fixture
def nursery_and_standalone(push_settings, django_capture_on_commit_callbacks, receiver):
    """Two registrations whose inbox delivery has arrived: a nursery class's and a stand-alone institution's."""
    with django_capture_on_commit_callbacks(execute=False):
        nursery, standalone = make_registration(), make_registration()
    Institution.objects.filter(pk=nursery.institution_id).update(kind=InstitutionKind.NURSERY_CLASS)
    for registration in (nursery, standalone):
        delivery_attempt(delivery_id=registration_deliveries(registration).get(channel=Channel.INBOX).pk)
    return nursery, standalone


def test_the_education_bureau_reads_its_nursery_classes_inbox_and_deliveries(
    client, education_user, nursery_and_standalone
):
    nursery, standalone = nursery_and_standalone
    client.force_login(education_user)
    for page in ("admin:registry_inboxentry_changelist", "admin:exchange_pushdelivery_changelist"):
        text = client.get(reverse(page)).content.decode()
        assert nursery.registration_number in text and nursery.institution.name in text, page
        assert standalone.registration_number not in text and standalone.institution.name not in text, page
    entry = reverse("admin:registry_inboxentry_change", args=[nursery.pk])
    assert client.get(entry).status_code == 200
    assert client.get(reverse("admin:registry_inboxentry_change", args=[standalone.pk])).status_code == 404
    for registration, status in ((nursery, 200), (standalone, 404)):
        for delivery in registration_deliveries(registration):
            for view in ("change", "history"):
                url = reverse(f"admin:exchange_pushdelivery_{view}", args=[delivery.pk])
                response = client.get(url)
                assert response.status_code == status, (url, response.status_code)
                if status == 404:
                    assert registration.registration_number not in response.content.decode()


def test_the_education_bureau_does_not_read_the_digest_nor_its_deliveries(
    client, health_user, education_user, nursery_and_standalone, django_capture_on_commit_callbacks
):
    nursery, _standalone = nursery_and_standalone
    with django_capture_on_commit_callbacks(execute=False):
        # Tomorrow, both registrations (due today, their webhook not yet sent) are overdue.
        assert overdue_digest_send(today=datetime.date.today() + datetime.timedelta(days=1)) == {"330302": "enqueued"}
    digest_rows = PushDelivery.objects.filter(topic="registry.overdue_digest")
    assert digest_rows.exists()
    client.force_login(education_user)
    assert client.get(reverse("admin:registry_digestrun_changelist")).status_code == 403
    listing = client.get(reverse("admin:exchange_pushdelivery_changelist")).content.decode()
    assert nursery.registration_number in listing
    for row in digest_rows:
        assert row.subject_label not in listing
        assert client.get(reverse("admin:exchange_pushdelivery_change", args=[row.pk])).status_code == 404
    client.force_login(UserFactory(role="", is_superuser=True))
    listing = client.get(reverse("admin:exchange_pushdelivery_changelist")).content.decode()
    assert all(row.subject_label in listing for row in digest_rows)


def test_the_education_bureau_cannot_requeue_even_its_own_deliveries(
    client, education_user, nursery_and_standalone, receiver
):
    nursery, _standalone = nursery_and_standalone
    receiver.answer("/exchange/registrations", (410, b"gone"))
    row = registration_deliveries(nursery).get(channel=Channel.WEBHOOK)
    delivery_attempt(delivery_id=row.pk)
    row.refresh_from_db()
    assert row.status == DeliveryStatus.FAILED
    client.force_login(education_user)
    changelist = reverse("admin:exchange_pushdelivery_changelist")
    assert "requeue" not in client.get(changelist).content.decode()
    client.post(changelist, {"action": "requeue", "_selected_action": [row.pk], "index": "0"})
    row.refresh_from_db()
    assert row.status == DeliveryStatus.FAILED and row.attempts == 1
