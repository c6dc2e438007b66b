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
    assert message["Message-ID"] == f"<{row.idempotency_key}@lucheng.example>"  # the same on every attempt
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
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        [row] = person_notice_enqueue(
            topic="tests.notice", subject=institution, title=TITLE, text=TEXT, email="a@example.cn", phone="13905771234"
        )
    assert callbacks == []  # nothing to send: no task
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


LINK_AND_CODE = "邀请链接：https://care.example/portal/invite/Zk3-一次性-9QxT/ 验证码 482915（7天内有效）"
# What of the secret must be nowhere, in any spelling: its ASCII pieces (they survive escaping and
# truncation), an escaped slash, a \\u escape of its Chinese, and the plain and URL-encoded forms.
SECRET_PIECES = ["Zk3", "9QxT", "482915", "invite", "care.example", "\\/", "\\u", "一次性", "%E4%B8%80"]


def _echo(text):
    """The answer of a gateway that echoes the message JSON-escaped: ``\\/`` and ``\\uXXXX``."""
    escaped = json.dumps({"code": "REJECTED", "message": f"bad message: {text}"}).replace("/", "\\/")
    assert "\\/" in escaped and "\\u4e00" in escaped and "Zk3" in escaped
    return escaped.encode()


@pytest.mark.parametrize(("status", "outcomes"), [(400, ["failed"]), (503, ["retry", "retry", "failed"])])
def test_a_secret_echoed_by_a_failing_gateway_is_kept_nowhere_in_any_spelling(
    notice_settings, receiver, institution, django_capture_on_commit_callbacks, status, outcomes
):
    receiver.answer(SMS_PATH, *[(status, _echo(LINK_AND_CODE))] * len(outcomes))
    [row] = enqueue(
        institution, django_capture_on_commit_callbacks, phone="13905771234", secret=True, text=LINK_AND_CODE
    )

    assert [attempt(row) for _ in outcomes] == outcomes

    assert [r.json()["text"] for r in receiver.received(SMS_PATH)] == [LINK_AND_CODE] * len(outcomes)  # sent
    stored = _all_stored_text(row)
    assert [piece for piece in SECRET_PIECES if piece in stored] == []
    # What a person sees of the failures: their status code, no response, a generic error.
    history = list(PushDelivery.history.filter(id=row.pk).order_by("history_id"))
    assert [h.last_response_status for h in history] == [None] + [status] * len(outcomes)
    assert {h.last_response_body for h in history} == {""}
    assert row.last_response_body == "" and row.last_response_status == status
    assert str(status) in row.last_error and all(str(status) in h.last_error for h in history[1:])


# --- What each channel's failures mean -------------------------------------------------------


def attempt(row):
    outcome = delivery_attempt(delivery_id=row.pk)
    row.refresh_from_db()
    return outcome.outcome


def test_a_refused_recipient_fails_the_email_for_good(
    notice_settings, smtp_server, institution, django_capture_on_commit_callbacks
):
    smtp_server.refuse["gone@example.cn"] = "550 5.1.1 <gone@example.cn>: mailbox unavailable"
    [row] = enqueue(institution, django_capture_on_commit_callbacks, email="gone@example.cn")
    assert attempt(row) == "failed"
    assert row.status == DeliveryStatus.FAILED and row.attempts == 1 and row.next_attempt_at is None
    assert "550" in row.last_error and "mailbox unavailable" in row.last_error
    assert row.last_response_status == 550
    assert smtp_server.received() == []


def test_a_busy_mail_server_is_tried_again(
    notice_settings, smtp_server, institution, django_capture_on_commit_callbacks
):
    smtp_server.refuse["busy@example.cn"] = "451 4.3.0 Try again later"
    [row] = enqueue(institution, django_capture_on_commit_callbacks, email="busy@example.cn")
    assert attempt(row) == "retry"
    assert row.status == DeliveryStatus.PENDING and row.next_attempt_at is not None and "451" in row.last_error
    del smtp_server.refuse["busy@example.cn"]
    assert attempt(row) == "delivered"
    assert row.attempts == 2 and row.last_error == ""
    assert len(smtp_server.received()) == 1


def test_an_unreachable_mail_server_is_tried_again_then_fails(
    notice_settings, institution, django_capture_on_commit_callbacks
):
    from .conftest import free_port

    notice_settings.EMAIL_PORT = free_port()  # nobody listens there
    [row] = enqueue(institution, django_capture_on_commit_callbacks, email="a@example.cn")
    assert attempt(row) == "retry"
    assert "ConnectionRefusedError" in row.last_error
    assert attempt(row) == "retry"
    assert attempt(row) == "failed"  # PUSH_MAX_ATTEMPTS = 3
    assert row.status == DeliveryStatus.FAILED and row.attempts == 3


@pytest.mark.parametrize("status", [500, 503, 408, 429])
def test_the_gateways_transient_answers_are_tried_again(
    status, notice_settings, receiver, institution, django_capture_on_commit_callbacks
):
    receiver.answer(SMS_PATH, (status, b'{"code": "BUSY"}'))
    [row] = enqueue(institution, django_capture_on_commit_callbacks, phone="13905771234")
    assert attempt(row) == "retry"
    assert row.last_response_status == status and row.next_attempt_at is not None
    assert attempt(row) == "delivered"
    first, second = receiver.received(SMS_PATH)
    assert first.headers["idempotency-key"] == second.headers["idempotency-key"] == str(row.idempotency_key)


def test_a_gateway_answer_without_json_is_tried_again(
    notice_settings, receiver, institution, django_capture_on_commit_callbacks
):
    receiver.answer(SMS_PATH, (200, b"<html>proxy error</html>"))
    [row] = enqueue(institution, django_capture_on_commit_callbacks, phone="13905771234")
    assert attempt(row) == "retry"


def test_an_unreachable_gateway_is_tried_again(notice_settings, institution, django_capture_on_commit_callbacks):
    from .conftest import free_port

    notice_settings.SMS_GATEWAY_URL = f"http://127.0.0.1:{free_port()}{SMS_PATH}"
    [row] = enqueue(institution, django_capture_on_commit_callbacks, phone="13905771234")
    assert attempt(row) == "retry"
    assert "ConnectionError" in row.last_error


@pytest.mark.parametrize(
    "answer",
    [
        (400, b'{"code": "InvalidParameter"}'),
        (401, b'{"code": "SignatureDoesNotMatch"}'),
        (200, '{"code": "isv.MOBILE_NUMBER_ILLEGAL", "message": "非法手机号"}'.encode()),
        (200, '{"Code": "isv.SMS_SIGNATURE_ILLEGAL", "Message": "签名不合法"}'.encode()),
    ],
)
def test_the_gateways_refusals_fail_for_good(
    answer, notice_settings, receiver, institution, django_capture_on_commit_callbacks
):
    receiver.answer(SMS_PATH, answer)
    [row] = enqueue(institution, django_capture_on_commit_callbacks, phone="13905771234")
    assert attempt(row) == "failed"
    assert row.attempts == 1 and row.last_response_status == answer[0]
    assert row.last_response_body == answer[1].decode()
    assert len(receiver.received(SMS_PATH)) == 1


def test_a_gateway_without_a_secret_sends_nothing_unsigned(
    notice_settings, receiver, institution, django_capture_on_commit_callbacks
):
    notice_settings.SMS_GATEWAY_SECRET = ""
    [row] = enqueue(institution, django_capture_on_commit_callbacks, phone="13905771234")
    assert attempt(row) == "failed"
    assert receiver.received(SMS_PATH) == []


def test_the_template_code_is_sent_when_configured(
    notice_settings, receiver, institution, django_capture_on_commit_callbacks
):
    notice_settings.SMS_TEMPLATE_CODE = "SMS_123456789"
    [row] = enqueue(institution, django_capture_on_commit_callbacks, phone="13905771234")
    assert attempt(row) == "delivered"
    [request] = receiver.received(SMS_PATH)
    assert request.json()["template_code"] == "SMS_123456789"
    assert verify(request.body, request.headers["x-signature"], SMS_SECRET)


def test_a_county_sends_through_its_own_sms_gateway(
    notice_settings, receiver, institution, django_capture_on_commit_callbacks
):
    notice_settings.COUNTY_CHANNELS = {
        "330303": {
            "SMS_GATEWAY_URL": f"{receiver.url}/longwan/sms",
            "SMS_GATEWAY_KEY": "longwan-key",
            "SMS_GATEWAY_SECRET": "longwan-secret",
            "SMS_SIGN_NAME": "龙湾卫健",
        }
    }
    [row] = enqueue(institution, django_capture_on_commit_callbacks, phone="13905771234", destination="330303")
    assert attempt(row) == "delivered"
    [request] = receiver.received("/longwan/sms")
    assert request.json()["sign_name"] == "龙湾卫健" and request.headers["x-api-key"] == "longwan-key"
    assert verify(request.body, request.headers["x-signature"], "longwan-secret")
    # 鹿城 has none of its own while another county has: no SMS, the notice waits in the inbox.
    [inbox] = enqueue(
        institution, django_capture_on_commit_callbacks, phone="13905771234", destination="330302", topic="tests.lc"
    )
    assert inbox.channel == Channel.PORTAL


def test_a_secret_is_redacted_after_its_last_transient_failure(
    notice_settings, smtp_server, institution, django_capture_on_commit_callbacks
):
    smtp_server.refuse["busy@example.cn"] = "451 4.3.0 Try again later"
    [row] = enqueue(
        institution, django_capture_on_commit_callbacks, email="busy@example.cn", secret=True, text=SECRET_TEXT
    )
    assert attempt(row) == "retry"
    assert row.payload["text"] == SECRET_TEXT  # still to be sent
    assert SECRET_TEXT not in "".join(json.dumps(h.payload, ensure_ascii=False) for h in row.history.all())
    assert attempt(row) == "retry"
    assert attempt(row) == "failed"
    assert SECRET_TEXT not in _all_stored_text(row)


# --- The outbox's admin ---------------------------------------------------------------------


def test_the_admin_lists_the_new_channels_and_never_shows_a_secret(
    client, health_user, notice_settings, smtp_server, institution, django_capture_on_commit_callbacks
):
    from django.urls import reverse

    rows = enqueue(
        institution,
        django_capture_on_commit_callbacks,
        email="a@example.cn",
        phone="13905771234",
        secret=True,
        text=SECRET_TEXT,
        label="机构账号邀请",
    )
    [plain] = enqueue(institution, django_capture_on_commit_callbacks, email="b@example.cn", topic="tests.plain")
    client.force_login(health_user)
    changelist = reverse("admin:exchange_pushdelivery_changelist")
    for channel in ("email", "sms"):
        listing = client.get(changelist, {"channel__exact": channel}).content.decode()
        assert "机构账号邀请" in listing
    pages = []
    for row in rows:  # pending: the row still holds the text for its attempt, the admin never shows it
        pages.append(reverse("admin:exchange_pushdelivery_change", args=[row.pk]))
        pages.append(reverse("admin:exchange_pushdelivery_history", args=[row.pk]))
        for version in row.history.all():
            pages.append(reverse("admin:exchange_pushdelivery_simple_history", args=[row.pk, version.history_id]))
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        assert SECRET_TEXT not in response.content.decode() and "Zk3-" not in response.content.decode(), url
    change = client.get(reverse("admin:exchange_pushdelivery_change", args=[rows[0].pk])).content.decode()
    assert REDACTED in change
    shown = client.get(reverse("admin:exchange_pushdelivery_change", args=[plain.pk])).content.decode()
    assert TEXT in shown  # a plain notice's text is shown, as every other payload is


def test_the_outbox_call_of_systems_refuses_the_channels_of_people(institution):
    from luchen_care.exchange.services import Notice, outbox_enqueue

    with pytest.raises(ValueError, match="person_notice_enqueue"):
        outbox_enqueue(
            topic="tests.x", subject=institution, notice=Notice(document={}, title="t", text="x"), channels=["email"]
        )
    assert not PushDelivery.objects.exists()
