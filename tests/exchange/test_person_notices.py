"""Notices to people through the outbox: e-mail to a real SMTP server on loopback, SMS to a real
HTTP gateway on loopback, and the institution's portal inbox when neither is configured."""

import json

import pytest
from django.core.exceptions import ValidationError

from luchen_care.exchange.models import REDACTED, Channel, DeliveryStatus, PushDelivery
from luchen_care.exchange.services import deliveries_requeue, delivery_attempt, person_notice_enqueue
from luchen_care.exchange.signature import verify
from tests.factories import InstitutionFactory

from .conftest import SMS_KEY, SMS_PATH, SMS_SECRET

pytestmark = pytest.mark.django_db

TITLE = "鹿城区托育机构备案提醒"
TEXT = "您好：贵机构的备案材料已收到，请于五个工作日内登录鹿城托育平台查看审核意见。"
SECRET_TEXT = "邀请链接：https://care.example/portal/invite/Zk3-一次性-9QxT/（7天内有效）"


@pytest.fixture
def institution():
    return InstitutionFactory()


def enqueue(institution, django_capture_on_commit_callbacks, **kwargs):
    """Enqueue a notice about ``institution``; its tasks are not run (the tests make the attempts)."""
    fields = {"topic": "tests.notice", "subject": institution, "title": TITLE, "text": TEXT, **kwargs}
    with django_capture_on_commit_callbacks(execute=False):
        return person_notice_enqueue(**fields)


def test_an_email_reaches_the_smtp_server_with_its_chinese_intact(
    notice_settings, smtp_server, institution, django_capture_on_commit_callbacks
):
    [row] = enqueue(institution, django_capture_on_commit_callbacks, email="zhang.san@example.cn")
    assert row.channel == Channel.EMAIL and row.status == DeliveryStatus.PENDING
    assert delivery_attempt(delivery_id=row.pk).outcome == "delivered"
    [mail] = smtp_server.received()
    assert mail.rcpt_tos == ["zhang.san@example.cn"]
    message = mail.message()
    assert message["Subject"] == TITLE
    assert message["To"] == "zhang.san@example.cn"
    assert "鹿城托育" in message["From"]
    assert message.get_content().strip() == TEXT
    row.refresh_from_db()
    assert row.status == DeliveryStatus.DELIVERED and row.attempts == 1
    assert row.payload == {"to": "zhang.san@example.cn", "subject": TITLE, "text": TEXT}  # not secret: kept


def test_an_sms_reaches_the_gateway_signed(notice_settings, receiver, institution, django_capture_on_commit_callbacks):
    [row] = enqueue(institution, django_capture_on_commit_callbacks, phone="+86 139-0577-1234")
    assert row.channel == Channel.SMS
    attempt = delivery_attempt(delivery_id=row.pk)
    assert attempt.outcome == "delivered", attempt.detail
    [request] = receiver.received(SMS_PATH)
    assert verify(request.body, request.headers["x-signature"], SMS_SECRET)
    assert request.headers["x-api-key"] == SMS_KEY
    assert request.headers["idempotency-key"] == str(row.idempotency_key)
    document = json.loads(request.body.decode("utf-8"))
    assert document["phone"] == "13905771234"
    assert document["sign_name"] == "鹿城卫健"
    assert document["text"] == TEXT
    assert document["request_id"] == str(row.idempotency_key)
    assert "template_code" not in document
    row.refresh_from_db()
    assert row.status == DeliveryStatus.DELIVERED and row.last_response_status == 200


def test_both_channels_when_both_are_configured_and_known(
    notice_settings, institution, django_capture_on_commit_callbacks
):
    rows = enqueue(institution, django_capture_on_commit_callbacks, email="a@example.cn", phone="13905771234")
    assert sorted(r.channel for r in rows) == ["email", "sms"]
    assert len({r.idempotency_key for r in rows}) == 1


def test_nothing_configured_the_notice_waits_in_the_portal_inbox(
    settings, institution, django_capture_on_commit_callbacks
):
    assert not settings.EMAIL_HOST and not settings.SMS_GATEWAY_URL  # off by default
    [row] = enqueue(institution, django_capture_on_commit_callbacks, email="a@example.cn", phone="13905771234")
    assert row.channel == Channel.PORTAL
    assert row.status == DeliveryStatus.DELIVERED and row.delivered_at is not None
    assert row.payload == {"title": TITLE, "text": TEXT}
    assert row.subject_label == TITLE


def test_a_step_is_sent_once(notice_settings, smtp_server, institution, django_capture_on_commit_callbacks):
    [row] = enqueue(institution, django_capture_on_commit_callbacks, email="a@example.cn")
    delivery_attempt(delivery_id=row.pk)
    [again] = enqueue(institution, django_capture_on_commit_callbacks, email="a@example.cn")
    assert again.pk == row.pk
    assert delivery_attempt(delivery_id=again.pk).outcome == "skipped"
    assert len(smtp_server.received()) == 1
    [other_step] = enqueue(institution, django_capture_on_commit_callbacks, email="a@example.cn", topic="tests.other")
    assert other_step.pk != row.pk


def test_a_secret_never_goes_to_the_inbox(settings, institution, django_capture_on_commit_callbacks):
    assert enqueue(institution, django_capture_on_commit_callbacks, email="a@example.cn", secret=True) == []
    assert not PushDelivery.objects.exists()


def test_inbox_false_and_nothing_configured_writes_nothing(institution, django_capture_on_commit_callbacks):
    assert enqueue(institution, django_capture_on_commit_callbacks, email="a@example.cn", inbox=False) == []


def test_malformed_recipients_are_refused_by_field_and_write_nothing(
    notice_settings, institution, django_capture_on_commit_callbacks
):
    with pytest.raises(ValidationError) as caught:
        enqueue(institution, django_capture_on_commit_callbacks, email="not-an-address", phone="0577-8888")
    assert set(caught.value.message_dict) == {"email", "phone"}
    assert not PushDelivery.objects.exists()


def _all_stored_text(row):
    """Everything the database keeps of ``row``: the row and each of its history rows."""
    row.refresh_from_db()
    stored = [json.dumps(row.payload, ensure_ascii=False), row.last_error, row.last_response_body]
    for old in PushDelivery.history.filter(id=row.pk):
        stored += [json.dumps(old.payload, ensure_ascii=False), old.last_error, old.last_response_body]
    return "\n".join(stored)


def test_a_secret_is_sent_then_kept_nowhere(
    notice_settings, smtp_server, receiver, institution, django_capture_on_commit_callbacks
):
    rows = enqueue(
        institution,
        django_capture_on_commit_callbacks,
        email="a@example.cn",
        phone="13905771234",
        secret=True,
        text=SECRET_TEXT,
    )
    assert sorted(r.channel for r in rows) == ["email", "sms"]
    for row in rows:
        assert row.secret
        assert SECRET_TEXT not in "".join(json.dumps(h.payload) for h in PushDelivery.history.filter(id=row.pk))
        assert delivery_attempt(delivery_id=row.pk).outcome == "delivered"
        assert SECRET_TEXT not in _all_stored_text(row)
        assert row.payload["text"] == REDACTED
    [mail] = smtp_server.received()
    assert mail.message().get_content().strip() == SECRET_TEXT
    [sms] = receiver.received(SMS_PATH)
    assert sms.json()["text"] == SECRET_TEXT


def test_a_secret_is_redacted_after_a_permanent_failure_and_never_re_queued(
    notice_settings, receiver, institution, django_capture_on_commit_callbacks
):
    receiver.answer(SMS_PATH, (400, json.dumps({"code": "BAD", "message": SECRET_TEXT}).encode()))
    [row] = enqueue(institution, django_capture_on_commit_callbacks, phone="13905771234", secret=True, text=SECRET_TEXT)
    assert delivery_attempt(delivery_id=row.pk).outcome == "failed"
    assert SECRET_TEXT not in _all_stored_text(row)
    assert row.status == DeliveryStatus.FAILED and row.payload["text"] == REDACTED
    assert deliveries_requeue(delivery_ids=[row.pk]) == 0
