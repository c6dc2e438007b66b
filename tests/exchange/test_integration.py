"""The push pipeline end to end: a real Celery worker process on Redis, a real HTTP receiver on loopback.

Each test starts its own worker(s) on a queue of its own, against the test database
(``transaction=True``: rows are committed, so the worker sees them). The receiver records
every request; the signature is checked with the shipped helper.
"""

import os
import signal
import time
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import quote_plus

import pytest
from django.db import connection, transaction
from django.utils import timezone
from rest_framework.test import APIClient

from luchen_care.exchange.models import Channel, DeliveryStatus, PushDelivery
from luchen_care.exchange.signature import dingtalk_signature, verify
from registry import payloads
from registry.models import DigestRun, PushStatus, Registration
from registry.services.push import registration_deliveries

from .conftest import DINGTALK_SECRET, HOLD, SECRET, make_registration, registration_fields, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

WEBHOOK_PATH = "/exchange/registrations"


def delivery(registration, channel=Channel.WEBHOOK):
    return registration_deliveries(registration).get(channel=channel)


def wait_status(registration, status, channel=Channel.WEBHOOK, timeout=30, workers=None):
    def check():
        return delivery(registration, channel).status == status

    try:
        return wait_until(check, timeout=timeout, message=f"{channel} delivery {status}")
    except pytest.fail.Exception:
        if workers is not None:
            print(workers.logs())
        raise


def test_registration_posted_to_the_api_arrives_once_signed(workers, receiver, market_user):
    """(a) POST /api/v1/registrations/ → one signed webhook request with the documented payload."""
    workers.start()
    client = APIClient()
    client.force_authenticate(market_user)
    fields = registration_fields()

    response = client.post("/api/v1/registrations/", fields, format="json")
    assert response.status_code == 201, response.content
    registration = Registration.objects.get(pk=response.json()["id"])

    wait_status(registration, DeliveryStatus.DELIVERED, workers=workers)
    wait_status(registration, DeliveryStatus.DELIVERED, channel=Channel.INBOX, workers=workers)
    # A repeat of the same POST is the same record and sends nothing more.
    again = client.post("/api/v1/registrations/", fields, format="json")
    assert again.status_code == 200 and again.json()["id"] == registration.pk
    time.sleep(1.5)

    [request] = receiver.received(WEBHOOK_PATH)
    webhook = delivery(registration)
    assert request.headers["content-type"].startswith("application/json")
    assert verify(request.body, request.headers["x-signature"], SECRET)
    assert request.headers["idempotency-key"] == str(webhook.idempotency_key)
    document = request.json()
    assert document["schema"] == "lucheng-care.registration-push/v1"
    assert document["delivery_id"] == str(webhook.idempotency_key)
    pushed = document["registration"]
    assert pushed["id"] == registration.pk
    assert pushed["authority"] == fields["authority"]
    assert pushed["registration_number"] == fields["registration_number"]
    assert pushed["kind"] == "new"
    assert pushed["registered_on"] == fields["registered_on"]
    assert pushed["push_deadline"] == response.json()["push_deadline"]
    assert pushed["institution"]["name"] == fields["institution_name"]
    assert pushed["institution"]["credit_code"] == fields["credit_code"]
    assert request.body == payloads.to_bytes(document)  # the exact bytes that were signed

    registration.refresh_from_db()
    webhook.refresh_from_db()
    assert webhook.attempts == 1 and webhook.delivered_at is not None
    assert registration.push_status == PushStatus.PUSHED
    assert registration.pushed_at == webhook.delivered_at


def test_server_errors_are_retried_with_the_same_idempotency_key(workers, receiver):
    """(b) 500, 500, 500, then 200: delivered on the 4th attempt, one key throughout."""
    receiver.answer(WEBHOOK_PATH, (500, b"down"), (500, b"down"), (500, b"down"))
    workers.start()
    registration = make_registration()

    wait_status(registration, DeliveryStatus.DELIVERED, workers=workers)
    requests = receiver.received(WEBHOOK_PATH)
    webhook = delivery(registration)
    assert len(requests) == 4
    assert {r.headers["idempotency-key"] for r in requests} == {str(webhook.idempotency_key)}
    assert len({r.body for r in requests}) == 1  # the same bytes every time
    assert all(verify(r.body, r.headers["x-signature"], SECRET) for r in requests)
    gaps = [b.at - a.at for a, b in zip(requests, requests[1:], strict=False)]
    # Backoff 0.2 s, 0.4 s, 0.8 s (base 0.2, cap 1): each retry waits at least its countdown.
    assert all(gap >= 0.9 * wait for gap, wait in zip(gaps, (0.2, 0.4, 0.8), strict=True)), gaps
    assert webhook.attempts == 4
    assert webhook.last_response_status == 200 and webhook.last_error == ""
    registration.refresh_from_db()
    assert registration.push_status == PushStatus.PUSHED


def test_a_forged_signature_fails_the_verification_helper(workers, receiver):
    """(c) What the worker sent verifies; the same body with a forged signature or a changed body does not."""
    workers.start()
    registration = make_registration()
    wait_status(registration, DeliveryStatus.DELIVERED, workers=workers)
    [request] = receiver.received(WEBHOOK_PATH)

    assert verify(request.body, request.headers["x-signature"], SECRET)
    assert not verify(request.body, "sha256=" + "0" * 64, SECRET)
    assert not verify(request.body, request.headers["x-signature"], "another-secret")
    tampered = request.body.replace(b'"kind":"new"', b'"kind":"deregistration"')
    assert tampered != request.body
    assert not verify(tampered, request.headers["x-signature"], SECRET)


def test_worker_killed_mid_push_loses_nothing(workers, receiver):
    """(d) SIGKILL the worker while the receiver holds the request open; a new worker delivers it
    with the same Idempotency-Key (the message comes back after the visibility timeout, and the
    row is claimed again once the dead worker's lease has expired)."""
    receiver.answer(WEBHOOK_PATH, HOLD)
    first = workers.start(CELERY_VISIBILITY_TIMEOUT=3)
    registration = make_registration()
    [in_flight] = receiver.wait_for(1, WEBHOOK_PATH)

    workers.kill(first)
    killed_at = time.monotonic()
    webhook = delivery(registration)
    assert webhook.status == DeliveryStatus.PENDING  # nothing half-recorded: only the lease is left
    assert webhook.attempts == 0 and webhook.locked_until is not None
    time.sleep(max(0.0, 3.5 - (time.monotonic() - killed_at)))  # the message becomes visible again

    workers.start(CELERY_VISIBILITY_TIMEOUT=3)
    wait_status(registration, DeliveryStatus.DELIVERED, timeout=40, workers=workers)
    requests = receiver.received(WEBHOOK_PATH)
    assert len(requests) == 2
    assert requests[1].headers["idempotency-key"] == in_flight.headers["idempotency-key"]
    assert requests[1].headers["idempotency-key"] == str(webhook.idempotency_key)
    assert requests[1].body == in_flight.body
    registration.refresh_from_db()
    assert registration.push_status == PushStatus.PUSHED
    assert delivery(registration, Channel.INBOX).status == DeliveryStatus.DELIVERED


def test_prefork_child_killed_mid_push_is_redelivered_at_once(workers, receiver):
    """(d, a child only) SIGKILL the prefork child holding the push: the parent rejects the
    message back to the queue (reject_on_worker_lost) and a fresh child delivers it once the
    dead child's lease has expired, same key."""
    receiver.answer(WEBHOOK_PATH, HOLD)
    worker = workers.start(pool="prefork", concurrency=1)
    registration = make_registration()
    [in_flight] = receiver.wait_for(1, WEBHOOK_PATH)
    children = Path(f"/proc/{worker.pid}/task/{worker.pid}/children").read_text().split()
    assert len(children) == 1
    os.kill(int(children[0]), signal.SIGKILL)

    wait_status(registration, DeliveryStatus.DELIVERED, timeout=30, workers=workers)
    requests = receiver.received(WEBHOOK_PATH)
    assert len(requests) == 2
    assert requests[1].headers["idempotency-key"] == in_flight.headers["idempotency-key"]
    assert delivery(registration).attempts == 1  # the killed attempt left no trace but the request


def test_worker_killed_mid_push_the_beat_scan_recovers_it(workers, receiver):
    """(d, second way back) After a SIGKILL, the beat scan re-enqueues the pending row as soon as
    the dead worker's lease has expired, without waiting for the broker's visibility timeout;
    delivered once more, same key."""
    receiver.answer(WEBHOOK_PATH, HOLD)
    first = workers.start()  # visibility timeout: the default hour
    registration = make_registration()
    [in_flight] = receiver.wait_for(1, WEBHOOK_PATH)
    workers.kill(first)

    from luchen_care.exchange.tasks import scan_pending_pushes

    workers.start(PUSH_SCAN_GRACE_SECONDS=0)
    lease_end = delivery(registration).locked_until
    assert lease_end is not None
    wait_until(lambda: timezone.now() > lease_end, timeout=10, message="the dead worker's lease to expire")
    scan_pending_pushes.delay()  # what beat does every two minutes; the worker runs the scan
    wait_status(registration, DeliveryStatus.DELIVERED, timeout=30, workers=workers)
    requests = receiver.received(WEBHOOK_PATH)
    assert [r.headers["idempotency-key"] for r in requests] == [in_flight.headers["idempotency-key"]] * 2


def test_an_attempt_holds_no_transaction_and_a_second_worker_waits_for_its_lease(workers, receiver):
    """While a worker waits for the other side's answer, it holds no transaction and no row lock,
    only its lease: another worker given the same row (a duplicate message) leaves it alone."""
    from luchen_care.exchange.tasks import deliver_push

    receiver.answer(WEBHOOK_PATH, HOLD)
    workers.start()
    workers.start()
    registration = make_registration()
    receiver.wait_for(1, WEBHOOK_PATH)
    webhook = delivery(registration)
    assert webhook.locked_until is not None and webhook.attempts == 0

    with transaction.atomic():  # not locked: this would fail at once if a worker held the row
        PushDelivery.objects.select_for_update(nowait=True).get(pk=webhook.pk)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND state LIKE 'idle in transaction%%'"
        )
        assert cursor.fetchone()[0] == 0  # no session of this database waits inside a transaction

    deliver_push.delay(webhook.pk)  # a duplicate message: the idle worker finds the row leased
    time.sleep(1.5)
    assert len(receiver.received(WEBHOOK_PATH)) == 1
    receiver.release.set()  # the other side answers: the first worker records the delivery
    wait_status(registration, DeliveryStatus.DELIVERED, workers=workers)
    time.sleep(6)  # past the lease (5 s here): the duplicate's retry finds the row delivered
    assert len(receiver.received(WEBHOOK_PATH)) == 1
    assert delivery(registration).attempts == 1


def test_client_error_is_not_retried_and_the_answer_is_kept(workers, receiver):
    """(e) A 4xx fails the delivery at once; status and body are kept; the registration shows failed."""
    receiver.answer(WEBHOOK_PATH, (422, '{"error": "统一社会信用代码不存在"}'.encode()))
    workers.start()
    registration = make_registration()

    wait_status(registration, DeliveryStatus.FAILED, workers=workers)
    time.sleep(1.5)  # longer than the whole backoff schedule of these settings
    assert len(receiver.received(WEBHOOK_PATH)) == 1
    webhook = delivery(registration)
    assert webhook.attempts == 1
    assert webhook.last_response_status == 422
    assert "统一社会信用代码不存在" in webhook.last_response_body
    assert "422" in webhook.last_error
    assert webhook.next_attempt_at is None and webhook.delivered_at is None
    registration.refresh_from_db()
    assert registration.push_status == PushStatus.FAILED


def test_dingtalk_robot_message_is_signed_as_dingtalk_specifies(workers, receiver, settings):
    """(f) The loopback receiver stands in for DingTalk: timestamp and sign recompute; errcode ≠ 0 is retried."""
    robot_path = "/robot/send"
    settings.DINGTALK_WEBHOOK_URL = f"{receiver.url}{robot_path}?access_token=tok123"
    settings.DINGTALK_SECRET = DINGTALK_SECRET
    receiver.default = (200, b'{"errcode": 0, "errmsg": "ok"}')
    receiver.answer(robot_path, (200, b'{"errcode": 130101, "errmsg": "send too fast"}'))
    workers.start(DINGTALK_WEBHOOK_URL=settings.DINGTALK_WEBHOOK_URL, DINGTALK_SECRET=DINGTALK_SECRET)
    registration = make_registration()

    wait_status(registration, DeliveryStatus.DELIVERED, channel=Channel.DINGTALK, workers=workers)
    requests = receiver.received(robot_path)
    assert len(requests) == 2  # the errcode answer was an error, retried
    for request in requests:
        assert request.query["access_token"] == "tok123"
        timestamp = int(request.query["timestamp"])
        assert abs(timestamp - time.time() * 1000) < 60_000
        assert request.query["sign"] == dingtalk_signature(timestamp, DINGTALK_SECRET)
        assert f"sign={quote_plus(dingtalk_signature(timestamp, DINGTALK_SECRET))}" in request.raw_query
        message = request.json()
        assert message["msgtype"] == "markdown"
        assert registration.registration_number in message["markdown"]["text"]
        assert registration.institution.credit_code in message["markdown"]["text"]
    dingtalk = delivery(registration, Channel.DINGTALK)
    assert dingtalk.attempts == 2 and "130101" not in dingtalk.last_error
    # DingTalk is a notification: the push itself is the webhook.
    wait_status(registration, DeliveryStatus.DELIVERED, workers=workers)


def test_overdue_digest_is_sent_once_per_day(workers, receiver, settings):
    """(g) The daily digest of overdue registrations: one signed webhook document, however often beat fires."""
    today = timezone.localdate()
    overdue = [
        make_registration(
            registered_on=today - timedelta(days=20), push_deadline=today - timedelta(days=d), enqueue=False
        )
        for d in (3, 9)
    ]
    make_registration(registered_on=today, push_deadline=today + timedelta(days=7), enqueue=False)  # not overdue
    workers.start()

    from registry.tasks import overdue_digest

    for _ in range(3):
        overdue_digest.delay()
    wait_until(lambda: DigestRun.objects.filter(date=today, sent_at__isnull=False).exists(), message="digest sent")
    time.sleep(1.5)
    digests = [r for r in receiver.received(WEBHOOK_PATH) if r.json()["schema"] == "lucheng-care.overdue-digest/v1"]
    assert len(digests) == 1
    [digest] = digests
    assert verify(digest.body, digest.headers["x-signature"], SECRET)
    run = DigestRun.objects.get(date=today)
    assert digest.headers["idempotency-key"] == str(run.idempotency_key)
    document = digest.json()
    assert document["date"] == today.isoformat()
    assert document["count"] == 2
    assert [r["id"] for r in document["registrations"]] == [overdue[1].pk, overdue[0].pk]  # oldest deadline first
    assert sorted(run.channels_done) == ["inbox", "webhook"]
    assert date.fromisoformat(document["date"]) == today
