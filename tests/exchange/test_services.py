"""The outbox's services and the registry's push through it, one attempt at a time, against a real
loopback receiver (no worker)."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone, translation

from luchen_care.exchange.models import Channel, DeliveryStatus, PushDelivery
from luchen_care.exchange.selectors import deliveries_due
from luchen_care.exchange.services import (
    deliveries_requeue,
    delivery_attempt,
    delivery_claim,
    lease_seconds,
    retry_delay,
)
from luchen_care.exchange.signature import verify
from luchen_care.exchange.tasks import deliver_push
from registry import payloads
from registry.models import DigestRun, PushStatus
from registry.services.push import DIGEST_TOPIC, overdue_digest_send, registration_deliveries, registration_push_enqueue
from tests.accounts.factories import UserFactory

from .conftest import DINGTALK_SECRET, HOLD, SECRET, make_registration

pytestmark = pytest.mark.django_db

WEBHOOK_PATH = "/exchange/registrations"


@pytest.fixture
def registration(push_settings, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):  # no broker here: attempts are made by hand
        return make_registration()


def webhook(registration):
    return registration_deliveries(registration).get(channel=Channel.WEBHOOK)


def test_enqueue_writes_one_row_per_enabled_channel_and_enqueues_on_commit(
    push_settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        registration = make_registration(enqueue=False)
        deliveries = registration_push_enqueue(registration=registration)
    assert sorted(d.channel for d in deliveries) == ["inbox", "webhook"]
    assert len(callbacks) == 2
    with django_capture_on_commit_callbacks(execute=False) as again:
        assert len(registration_push_enqueue(registration=registration)) == 2
    assert registration_deliveries(registration).count() == 2  # never a duplicate
    assert len(again) == 2  # still pending: enqueued again, harmlessly


def test_without_a_webhook_the_inbox_is_the_push(settings, django_capture_on_commit_callbacks):
    settings.HEALTH_BUREAU_PUSH_URL = ""
    settings.DINGTALK_WEBHOOK_URL = ""
    with django_capture_on_commit_callbacks(execute=False):
        registration = make_registration()
    [inbox] = registration_deliveries(registration)
    assert inbox.channel == Channel.INBOX
    assert delivery_attempt(delivery_id=inbox.pk).outcome == "delivered"
    registration.refresh_from_db()
    inbox.refresh_from_db()
    assert registration.push_status == PushStatus.PUSHED and registration.pushed_at == inbox.delivered_at


def test_with_a_webhook_the_inbox_alone_does_not_count_as_pushed(registration, receiver):
    inbox = registration_deliveries(registration).get(channel=Channel.INBOX)
    assert delivery_attempt(delivery_id=inbox.pk).outcome == "delivered"
    registration.refresh_from_db()
    assert registration.push_status == PushStatus.PENDING and registration.pushed_at is None


def test_delivered_once_then_skipped(registration, receiver):
    row = webhook(registration)
    assert delivery_attempt(delivery_id=row.pk).outcome == "delivered"
    assert delivery_attempt(delivery_id=row.pk).outcome == "skipped"
    [request] = receiver.received(WEBHOOK_PATH)
    assert verify(request.body, request.headers["x-signature"], SECRET)
    assert request.headers["idempotency-key"] == str(row.idempotency_key)
    row.refresh_from_db()
    assert row.status == DeliveryStatus.DELIVERED and row.attempts == 1 and row.last_response_status == 200
    registration.refresh_from_db()
    assert registration.push_status == PushStatus.PUSHED and registration.pushed_at == row.delivered_at


def test_body_is_the_documented_document(registration, receiver):
    row = webhook(registration)
    delivery_attempt(delivery_id=row.pk)
    [request] = receiver.received(WEBHOOK_PATH)
    assert request.body == payloads.to_bytes(payloads.registration_push_document(registration, key=row.idempotency_key))
    assert request.body == payloads.to_bytes(row.payload)  # the document stored when the push was enqueued
    document = request.json()
    assert set(document) == {"schema", "delivery_id", "registration"}
    assert set(document["registration"]) == {
        "id", "authority", "authority_name", "registration_number", "kind", "registered_on", "push_deadline",
        "push_deadline_provisional", "institution",
    }  # fmt: skip
    assert set(document["registration"]["institution"]) == {"id", "name", "credit_code", "street_code"}
    assert document["registration"]["institution"]["name"] == registration.data["institution_name"]


def test_no_personal_data_beyond_the_job_is_sent(registration, receiver, push_settings):
    """PIPL: the bureau gets what it needs to follow up a registration; no legal representative, no address."""
    push_settings.DINGTALK_WEBHOOK_URL = f"{receiver.url}/robot/send?access_token=t"
    receiver.default = (200, b'{"errcode": 0, "errmsg": "ok"}')
    registration_push_enqueue(registration=registration)
    for row in registration_deliveries(registration):
        assert delivery_attempt(delivery_id=row.pk).outcome == "delivered"
    assert len(receiver.received()) == 2  # the webhook and DingTalk
    for request in receiver.received():
        text = request.body.decode()
        assert registration.institution.legal_representative not in text
        assert registration.institution.address not in text
        assert "legal_representative" not in text and "address" not in text


@pytest.mark.parametrize("status", [500, 502, 503, 408, 429])
def test_server_error_schedules_a_retry_with_backoff(registration, receiver, push_settings, status):
    receiver.answer(WEBHOOK_PATH, (status, b"try later"))
    row = webhook(registration)
    before = timezone.now()
    attempt = delivery_attempt(delivery_id=row.pk)
    assert attempt.outcome == "retry" and attempt.retry_in == pytest.approx(0.2)
    row.refresh_from_db()
    assert row.status == DeliveryStatus.PENDING and row.attempts == 1
    assert row.last_response_status == status and row.last_response_body == "try later"
    assert str(status) in row.last_error
    assert before + timedelta(seconds=0.2) <= row.next_attempt_at <= timezone.now() + timedelta(seconds=0.2)


def test_a_retry_that_is_not_due_yet_is_left_alone(registration, receiver, push_settings):
    push_settings.PUSH_RETRY_BASE_SECONDS, push_settings.PUSH_RETRY_MAX_SECONDS = 60, 600
    receiver.answer(WEBHOOK_PATH, (500, b""))
    row = webhook(registration)
    assert delivery_attempt(delivery_id=row.pk).outcome == "retry"
    assert delivery_attempt(delivery_id=row.pk).outcome == "skipped"  # e.g. the beat scan's duplicate
    assert len(receiver.received()) == 1
    PushDelivery.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
    assert delivery_attempt(delivery_id=row.pk).outcome == "delivered"


def test_a_leased_row_is_not_claimed_by_a_second_worker_until_the_lease_expires(registration, receiver):
    """Worker A claims the row (its lease) and is still in its request, or has died: worker B's
    attempt leaves the row alone and says when the lease ends; once it has ended, B claims the
    row and delivers it, with the same Idempotency-Key."""
    row = webhook(registration)
    claimed, refused = delivery_claim(delivery_id=row.pk)  # worker A
    assert refused is None and claimed.locked_until > timezone.now()
    assert claimed.locked_until <= timezone.now() + timedelta(seconds=lease_seconds())

    second = delivery_attempt(delivery_id=row.pk)  # worker B, while A holds the lease
    assert second.outcome == "leased" and 0 < second.retry_in <= lease_seconds()
    assert delivery_claim(delivery_id=row.pk)[0] is None
    assert receiver.received() == []
    row.refresh_from_db()
    assert row.status == DeliveryStatus.PENDING and row.attempts == 0  # a claim records no attempt
    assert row.history.count() == 1  # nor a history row

    # A's lease runs out (A died mid-request): B claims the row at its next try.
    assert delivery_claim(delivery_id=row.pk, now=claimed.locked_until - timedelta(seconds=1))[0] is None
    PushDelivery.objects.filter(pk=row.pk).update(locked_until=timezone.now() - timedelta(seconds=1))
    assert delivery_attempt(delivery_id=row.pk).outcome == "delivered"
    [request] = receiver.received(WEBHOOK_PATH)
    assert request.headers["idempotency-key"] == str(row.idempotency_key)
    row.refresh_from_db()
    assert row.status == DeliveryStatus.DELIVERED and row.attempts == 1 and row.locked_until is None


def test_client_error_fails_at_once_and_keeps_the_answer(registration, receiver):
    receiver.answer(WEBHOOK_PATH, (400, b'{"error": "schema not supported"}'))
    row = webhook(registration)
    attempt = delivery_attempt(delivery_id=row.pk)
    assert attempt.outcome == "failed" and attempt.retry_in is None
    row.refresh_from_db()
    assert row.status == DeliveryStatus.FAILED and row.next_attempt_at is None
    assert row.last_response_status == 400 and "schema not supported" in row.last_response_body
    registration.refresh_from_db()
    assert registration.push_status == PushStatus.FAILED
    assert delivery_attempt(delivery_id=row.pk).outcome == "skipped"


def test_gives_up_after_the_maximum_attempts(registration, receiver, push_settings):
    push_settings.PUSH_MAX_ATTEMPTS = 3
    receiver.answer(WEBHOOK_PATH, *[(503, b"")] * 3)
    row = webhook(registration)
    outcomes = []
    for _ in range(3):
        PushDelivery.objects.filter(pk=row.pk).update(next_attempt_at=None)
        outcomes.append(delivery_attempt(delivery_id=row.pk).outcome)
    assert outcomes == ["retry", "retry", "failed"]
    row.refresh_from_db()
    assert row.attempts == 3 and row.status == DeliveryStatus.FAILED


def test_network_errors_are_retried(registration, push_settings):
    push_settings.HEALTH_BUREAU_PUSH_URL = "http://127.0.0.1:9/nothing-listens-here"
    row = webhook(registration)
    attempt = delivery_attempt(delivery_id=row.pk)
    assert attempt.outcome == "retry"
    row.refresh_from_db()
    assert "ConnectionError" in row.last_error and row.last_response_status is None


def test_a_timeout_is_retried(registration, receiver, push_settings):
    push_settings.HEALTH_BUREAU_PUSH_TIMEOUT = 0.3
    receiver.answer(WEBHOOK_PATH, HOLD)
    row = webhook(registration)
    assert delivery_attempt(delivery_id=row.pk).outcome == "retry"
    row.refresh_from_db()
    assert "Timeout" in row.last_error


def test_no_secret_means_nothing_is_sent(registration, receiver, push_settings):
    push_settings.HEALTH_BUREAU_PUSH_SECRET = ""
    assert delivery_attempt(delivery_id=webhook(registration).pk).outcome == "failed"
    assert receiver.received() == []


def test_retry_schedule_doubles_and_is_capped(settings):
    settings.PUSH_RETRY_BASE_SECONDS, settings.PUSH_RETRY_MAX_SECONDS = 30, 1800
    assert [retry_delay(n) for n in range(1, 9)] == [30, 60, 120, 240, 480, 960, 1800, 1800]


def test_the_eager_task_does_not_retry_inline(registration, receiver):
    receiver.answer(WEBHOOK_PATH, (500, b""))
    result = deliver_push.apply(args=[webhook(registration).pk])
    assert result.get() == "retry"
    assert len(receiver.received()) == 1  # left to the beat scan


@pytest.fixture
def dingtalk(push_settings, receiver, django_capture_on_commit_callbacks):
    """The loopback receiver as DingTalk's robot; returns a registration with a DingTalk delivery."""
    push_settings.DINGTALK_WEBHOOK_URL = f"{receiver.url}/robot/send?access_token=t"
    push_settings.DINGTALK_SECRET = DINGTALK_SECRET
    receiver.default = (200, b'{"errcode": 0, "errmsg": "ok"}')
    with django_capture_on_commit_callbacks(execute=False):
        return make_registration()


@pytest.mark.parametrize(
    "answer",
    [b'{"errcode": 130101, "errmsg": "send too fast"}', b'{"errcode": -1, "errmsg": "system busy"}'],
)
def test_dingtalk_rate_limit_and_transient_errcodes_are_retried(dingtalk, receiver, answer):
    receiver.answer("/robot/send", (200, answer))
    row = registration_deliveries(dingtalk).get(channel=Channel.DINGTALK)
    assert delivery_attempt(delivery_id=row.pk).outcome == "retry"
    row.refresh_from_db()
    assert str(json.loads(answer)["errcode"]) in row.last_error and row.status == DeliveryStatus.PENDING
    PushDelivery.objects.filter(pk=row.pk).update(next_attempt_at=None)
    assert delivery_attempt(delivery_id=row.pk).outcome == "delivered"
    dingtalk.refresh_from_db()
    assert dingtalk.push_status == PushStatus.PENDING  # a notification is not the push


@pytest.mark.parametrize("errcode", [310000, 300001, 400013, 400101, 400102])
def test_dingtalk_errcodes_no_retry_can_fix_fail_at_once(dingtalk, receiver, errcode):
    answer = json.dumps({"errcode": errcode, "errmsg": "keywords not in content"}).encode()
    receiver.answer("/robot/send", (200, answer))
    row = registration_deliveries(dingtalk).get(channel=Channel.DINGTALK)
    attempt = delivery_attempt(delivery_id=row.pk)
    assert attempt.outcome == "failed" and attempt.retry_in is None
    row.refresh_from_db()
    assert row.status == DeliveryStatus.FAILED and row.attempts == 1 and row.next_attempt_at is None
    assert row.last_response_status == 200 and row.last_response_body == answer.decode()
    assert f"钉钉返回错误码 {errcode}" in row.last_error
    assert delivery_attempt(delivery_id=row.pk).outcome == "skipped"
    assert len(receiver.received("/robot/send")) == 1


def test_requeue_gives_failed_deliveries_new_attempts_with_the_same_key(
    registration, receiver, health_user, django_capture_on_commit_callbacks
):
    receiver.answer(WEBHOOK_PATH, (404, b"no such endpoint"))
    row = webhook(registration)
    delivery_attempt(delivery_id=row.pk)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        count = deliveries_requeue(delivery_ids=[row.pk, webhook(registration).pk], actor=health_user)
    assert count == 1 and len(callbacks) == 1
    row.refresh_from_db()
    assert row.status == DeliveryStatus.PENDING and row.attempts == 0
    assert "由 health 在 1 次尝试后重新排队" in row.last_error and "404" in row.last_error
    registration.refresh_from_db()
    assert registration.push_status == PushStatus.PENDING
    assert delivery_attempt(delivery_id=row.pk).outcome == "delivered"
    keys = {r.headers["idempotency-key"] for r in receiver.received()}
    assert keys == {str(row.idempotency_key)}


def test_who_requeued_a_delivery_and_when_outlives_the_next_attempt(
    registration, receiver, health_user, django_capture_on_commit_callbacks
):
    receiver.answer(WEBHOOK_PATH, (404, b"no such endpoint"))
    row = webhook(registration)
    delivery_attempt(delivery_id=row.pk)
    before = timezone.now()
    with django_capture_on_commit_callbacks(execute=False):
        deliveries_requeue(delivery_ids=[row.pk], actor=health_user)
    assert delivery_attempt(delivery_id=row.pk).outcome == "delivered"
    row.refresh_from_db()
    assert row.last_error == ""  # the attempt overwrote it; the history keeps it

    [requeued] = row.history.filter(history_user=health_user)
    assert requeued.history_date >= before and requeued.status == DeliveryStatus.PENDING
    assert requeued.history_change_reason == "由 health 在 1 次尝试后重新排队"
    assert [h.status for h in row.history.order_by("history_date")] == ["pending", "failed", "pending", "delivered"]
    assert "404" in row.history.get(status=DeliveryStatus.FAILED).last_error

    by_user = registration.history.filter(history_user=health_user).get()
    assert by_user.push_status == PushStatus.PENDING and by_user.history_change_reason == requeued.history_change_reason


def test_the_worker_says_why_it_changed_a_registration(registration, receiver):
    receiver.answer(WEBHOOK_PATH, (422, b"unknown credit code"))
    row = webhook(registration)
    assert delivery_attempt(delivery_id=row.pk).outcome == "failed"
    latest = registration.history.first()
    assert latest.push_status == PushStatus.FAILED and latest.history_user is None
    assert latest.history_change_reason == "卫生健康局数据交换接口（HTTP）：失败：卫生健康局数据交换接口返回 HTTP 422"

    PushDelivery.objects.filter(pk=row.pk).update(status=DeliveryStatus.PENDING)
    assert delivery_attempt(delivery_id=row.pk).outcome == "delivered"
    latest = registration.history.first()
    assert latest.push_status == PushStatus.PUSHED
    assert (
        latest.history_change_reason
        == f"卫生健康局数据交换接口（HTTP）：已送达（Idempotency-Key {row.idempotency_key}）"
    )


def test_stored_errors_are_chinese_whoever_makes_the_attempt(registration, receiver):
    """The admin is read in Chinese: an attempt made with English active still stores Chinese text."""
    receiver.answer(WEBHOOK_PATH, (503, b""))
    with translation.override("en"):
        delivery_attempt(delivery_id=webhook(registration).pk)
    assert webhook(registration).last_error == "卫生健康局数据交换接口返回 HTTP 503"


def test_scan_finds_rows_whose_task_may_be_lost(push_settings, django_capture_on_commit_callbacks):
    push_settings.PUSH_SCAN_GRACE_SECONDS = 60
    now = timezone.now()
    with django_capture_on_commit_callbacks(execute=False):
        regs = [make_registration() for _ in range(5)]
    rows = [webhook(r) for r in regs]
    PushDelivery.objects.filter(pk=rows[0].pk).update(created_at=now - timedelta(minutes=5))  # new, lost
    PushDelivery.objects.filter(pk=rows[1].pk).update(next_attempt_at=now - timedelta(minutes=2))  # retry, lost
    PushDelivery.objects.filter(pk=rows[2].pk).update(next_attempt_at=now + timedelta(minutes=2))  # not due
    # rows[3]: just created, its message is on its way
    PushDelivery.objects.filter(pk=rows[4].pk).update(  # old, but an attempt holds its lease
        created_at=now - timedelta(minutes=5), locked_until=now + timedelta(seconds=30)
    )
    PushDelivery.objects.filter(channel=Channel.INBOX).update(status=DeliveryStatus.DELIVERED)
    assert list(deliveries_due(now=now).values_list("pk", flat=True)) == [rows[0].pk, rows[1].pk]


# --- The daily digest --------------------------------------------------------------------


@pytest.fixture
def overdue(push_settings, django_capture_on_commit_callbacks):
    today = timezone.localdate()
    return [
        make_registration(
            registered_on=today - timedelta(days=30), push_deadline=today - timedelta(days=n), enqueue=False
        )
        for n in (1, 10)
    ]


def attempt_digest():
    """What the workers do with the digest's outbox rows: one attempt each; the outcome by channel."""
    return {
        row.channel: delivery_attempt(delivery_id=row.pk).outcome
        for row in PushDelivery.objects.filter(topic=DIGEST_TOPIC).order_by("pk")
    }


def test_digest_is_sent_once_a_day(overdue, receiver):
    assert overdue_digest_send() == {"330302": "enqueued"}
    assert overdue_digest_send() == {"330302": "already done today"}
    assert attempt_digest() == {"inbox": "delivered", "webhook": "delivered"}
    assert set(attempt_digest().values()) == {"skipped"}
    [request] = receiver.received(WEBHOOK_PATH)
    assert verify(request.body, request.headers["x-signature"], SECRET)
    document = request.json()
    assert document["schema"] == payloads.DIGEST_SCHEMA and document["count"] == 2
    assert [r["id"] for r in document["registrations"]] == [overdue[1].pk, overdue[0].pk]
    run = DigestRun.objects.get()
    assert run.sent_at and request.headers["idempotency-key"] == str(run.idempotency_key)
    assert document["digest_id"] == str(run.idempotency_key)


def test_digest_retries_only_the_channels_that_failed(overdue, receiver, push_settings):
    push_settings.DINGTALK_WEBHOOK_URL = f"{receiver.url}/robot/send?access_token=t"
    receiver.default = (200, b'{"errcode": 0}')
    receiver.answer("/robot/send", (502, b""))
    overdue_digest_send()
    assert attempt_digest() == {"inbox": "delivered", "webhook": "delivered", "dingtalk": "retry"}
    run = DigestRun.objects.get()
    assert run.sent_at is None and sorted(run.channels_done) == ["inbox", "webhook"]
    PushDelivery.objects.filter(topic=DIGEST_TOPIC).update(next_attempt_at=None)
    assert attempt_digest() == {"inbox": "skipped", "webhook": "skipped", "dingtalk": "delivered"}
    assert len(receiver.received(WEBHOOK_PATH)) == 1
    robot = receiver.received("/robot/send")
    assert len(robot) == 2 and "逾期未推送登记日报" in robot[1].json()["markdown"]["title"]
    run.refresh_from_db()
    assert sorted(run.channels_done) == ["dingtalk", "inbox", "webhook"] and run.sent_at


def test_nothing_overdue_sends_nothing(push_settings, receiver):
    assert overdue_digest_send() == {"330302": "nothing overdue"}
    assert not PushDelivery.objects.filter(topic=DIGEST_TOPIC).exists()
    assert receiver.received() == []
    assert DigestRun.objects.get().registration_ids == []


def test_a_pushed_registration_is_not_overdue(overdue, receiver):
    from registry.models import Registration

    Registration.objects.filter(pk=overdue[0].pk).update(pushed_at=timezone.now(), push_status=PushStatus.PUSHED)
    overdue_digest_send()
    attempt_digest()
    assert receiver.received(WEBHOOK_PATH)[0].json()["count"] == 1


def test_retries_write_no_registration_history_until_the_outcome(registration, receiver):
    receiver.answer(WEBHOOK_PATH, (500, b""), (500, b""))
    row = webhook(registration)
    before = registration.history.count()
    for _ in range(2):
        PushDelivery.objects.filter(pk=row.pk).update(next_attempt_at=None)
        assert delivery_attempt(delivery_id=row.pk).outcome == "retry"
    assert registration.history.count() == before
    PushDelivery.objects.filter(pk=row.pk).update(next_attempt_at=None)
    assert delivery_attempt(delivery_id=row.pk).outcome == "delivered"
    assert registration.history.count() == before + 1
    assert registration.history.first().push_status == PushStatus.PUSHED


# --- The data as registered ----------------------------------------------------------------


def record(actor, **overrides):
    from registry.services.registrations import registration_record

    from .conftest import registration_fields

    registration, created = registration_record(actor=actor, source="api", **registration_fields(**overrides))
    assert created
    return registration


def test_a_later_change_does_not_alter_a_pending_push(push_settings, receiver, market_user):
    """The first push keeps the name it was registered with, although a change registration
    renamed the institution while that push was still waiting for a retry."""
    receiver.answer(WEBHOOK_PATH, (503, b"busy"))
    first = record(market_user, institution_name="鹿城区小太阳托育中心")
    row = webhook(first)
    assert delivery_attempt(delivery_id=row.pk).outcome == "retry"

    change = record(
        market_user, kind="change", credit_code=first.data["credit_code"], institution_name="鹿城区大太阳托育中心"
    )
    assert change.institution_id == first.institution_id
    first.institution.refresh_from_db()
    assert first.institution.name == "鹿城区大太阳托育中心"  # the registry follows the change

    PushDelivery.objects.filter(pk=row.pk).update(next_attempt_at=None)
    assert delivery_attempt(delivery_id=row.pk).outcome == "delivered"
    before, after = receiver.received(WEBHOOK_PATH)
    assert after.body == before.body  # the same bytes on every retry of one Idempotency-Key
    assert after.json()["registration"]["institution"]["name"] == "鹿城区小太阳托育中心"

    assert delivery_attempt(delivery_id=webhook(change).pk).outcome == "delivered"
    pushed = receiver.received(WEBHOOK_PATH)[-1].json()["registration"]
    assert pushed["kind"] == "change" and pushed["institution"]["name"] == "鹿城区大太阳托育中心"
    assert pushed["institution"]["id"] == first.institution_id


def test_a_new_registration_of_a_known_institution_pushes_the_name_registered(push_settings, receiver, market_user):
    """A ``new`` registration matched by credit code leaves the registry's name as it was;
    the bureau still receives the name the authority registered, on the webhook and DingTalk."""
    push_settings.DINGTALK_WEBHOOK_URL = f"{receiver.url}/robot/send?access_token=t"
    receiver.default = (200, b'{"errcode": 0, "errmsg": "ok"}')
    first = record(market_user, institution_name="鹿城区旧名托育园")
    second = record(market_user, credit_code=first.data["credit_code"], institution_name="鹿城区新名托育园")
    assert second.institution_id == first.institution_id
    second.institution.refresh_from_db()
    assert second.institution.name == "鹿城区旧名托育园"

    for row in registration_deliveries(second).exclude(channel=Channel.INBOX):
        assert delivery_attempt(delivery_id=row.pk).outcome == "delivered"
    assert receiver.received(WEBHOOK_PATH)[0].json()["registration"]["institution"]["name"] == "鹿城区新名托育园"
    markdown = receiver.received("/robot/send")[0].json()["markdown"]
    assert "鹿城区新名托育园" in markdown["title"] and "鹿城区旧名托育园" not in markdown["text"]


def test_the_overdue_digest_names_institutions_as_registered(overdue, receiver, push_settings):
    from registry.models import Institution

    push_settings.DINGTALK_WEBHOOK_URL = f"{receiver.url}/robot/send?access_token=t"
    receiver.default = (200, b'{"errcode": 0, "errmsg": "ok"}')
    Institution.objects.filter(pk=overdue[0].institution_id).update(name="改过的名称")
    overdue_digest_send()
    assert set(attempt_digest().values()) == {"delivered"}
    names = [r["institution"]["name"] for r in receiver.received(WEBHOOK_PATH)[0].json()["registrations"]]
    assert overdue[0].data["institution_name"] in names and "改过的名称" not in names
    assert "改过的名称" not in receiver.received("/robot/send")[0].json()["markdown"]["text"]


# --- The outbox is generic -------------------------------------------------------------------


def test_any_app_sends_its_own_notice_and_hears_the_outcome(push_settings, receiver, health_user):
    """A later capability's notice (here about a user record) goes through the same outbox: its
    stored document is what the webhook receives, signed, and its sender hears each outcome."""
    from django.db import transaction

    from luchen_care.exchange.services import Notice, outbox_enqueue
    from luchen_care.exchange.signals import delivery_recorded

    heard = []

    def listener(sender, *, delivery, actor, reason, **kwargs):
        heard.append((delivery.topic, delivery.channel, delivery.status))

    delivery_recorded.connect(listener, dispatch_uid="test-generic-notice")
    try:
        with transaction.atomic():
            rows = outbox_enqueue(
                topic="tests.certificate_expiry",
                subject=health_user,
                label="卫生评价报告到期：测试托育园",
                notice=Notice(document={"schema": "tests.certificate-expiry/v1", "days_left": 30}, title="t", text=""),
            )
        assert sorted(r.channel for r in rows) == ["inbox", "webhook"]
        assert len({r.idempotency_key for r in rows}) == 1  # one key per notice
        webhook_row = next(r for r in rows if r.channel == Channel.WEBHOOK)
        assert delivery_attempt(delivery_id=webhook_row.pk).outcome == "delivered"
    finally:
        delivery_recorded.disconnect(dispatch_uid="test-generic-notice")
    [request] = receiver.received(WEBHOOK_PATH)
    assert request.body == b'{"days_left":30,"schema":"tests.certificate-expiry/v1"}'
    assert verify(request.body, request.headers["x-signature"], SECRET)
    assert request.headers["idempotency-key"] == str(webhook_row.idempotency_key)
    assert heard == [("tests.certificate_expiry", "webhook", "delivered")]
    assert PushDelivery.objects.get(pk=webhook_row.pk).subject == health_user


def test_many_notices_at_once_are_the_rows_one_at_a_time_would_write(push_settings, health_user, market_user):
    """``outbox_enqueue_many`` (a file's import) writes for each notice what ``outbox_enqueue``
    writes for it, in queries that do not grow with the notices: a row per channel with the
    stored payload, one key per notice, a history row each, delivery enqueued on commit; a
    notice already in the outbox keeps its key and gets only its missing channels."""
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from luchen_care.exchange.services import Notice, OutboxEntry, outbox_enqueue, outbox_enqueue_many

    def notice(n):
        return Notice(document={"schema": "tests.many/v1", "n": n}, title=f"t{n}", text=f"x{n}")

    users = [health_user, market_user, *(UserFactory() for _ in range(3))]
    with transaction.atomic():
        [earlier] = outbox_enqueue(topic="tests.many", subject=users[0], notice=notice(0), channels=[Channel.INBOX])
    key = earlier.idempotency_key
    with CaptureQueriesContext(connection) as two:
        outbox_enqueue_many(topic="tests.other", entries=[OutboxEntry(users[i], notice(i)) for i in range(2)])
    with CaptureQueriesContext(connection) as five:
        per_entry = outbox_enqueue_many(
            topic="tests.many", entries=[OutboxEntry(u, notice(i), label=f"用户{i}") for i, u in enumerate(users)]
        )
    assert len(five.captured_queries) <= len(two.captured_queries)

    assert [sorted(r.channel for r in rows) for rows in per_entry] == [["inbox", "webhook"]] * 5
    assert {r.idempotency_key for r in per_entry[0]} == {key}  # the notice already there keeps its key
    assert len({rows[0].idempotency_key for rows in per_entry}) == 5
    for i, rows in enumerate(per_entry):
        assert len({r.idempotency_key for r in rows}) == 1
        stored = {d.channel: d for d in PushDelivery.objects.filter(topic="tests.many", subject_id=users[i].pk)}
        assert stored[Channel.WEBHOOK].payload == {"schema": "tests.many/v1", "n": i}
        assert stored[Channel.INBOX].payload == {"title": f"t{i}", "text": f"x{i}"}
        assert all(d.history.count() == 1 for d in stored.values())
    assert PushDelivery.objects.filter(topic="tests.many").count() == 10
