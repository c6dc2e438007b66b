"""Notices to people end to end: a real Celery worker on Redis delivers them to a real SMTP server
and a real SMS gateway on loopback. (Each channel's retries are tested attempt by attempt in
test_person_notices.py; the worker's retry path is the webhook's, tested in test_integration.py.)"""

import json

import pytest
from django.db import transaction

from luchen_care.exchange.models import REDACTED, Channel, DeliveryStatus, PushDelivery
from luchen_care.exchange.services import person_notice_enqueue
from luchen_care.exchange.signature import verify
from tests.factories import InstitutionFactory

from .conftest import SMS_KEY, SMS_PATH, SMS_SECRET, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

TEXT = "【重要】您的机构账号邀请链接：https://care.example/portal/invite/一次性-Q7/，7天内有效。"


def start_worker(workers, notice_settings, smtp_server):
    workers.start(
        EMAIL_HOST=smtp_server.host,
        EMAIL_PORT=smtp_server.port,
        EMAIL_TIMEOUT=5,
        DEFAULT_FROM_EMAIL=notice_settings.DEFAULT_FROM_EMAIL,
        SMS_GATEWAY_URL=notice_settings.SMS_GATEWAY_URL,
        SMS_GATEWAY_KEY=SMS_KEY,
        SMS_GATEWAY_SECRET=SMS_SECRET,
        SMS_SIGN_NAME=notice_settings.SMS_SIGN_NAME,
    )


def test_a_worker_sends_the_email_and_the_sms_then_forgets_the_secret(workers, notice_settings, smtp_server, receiver):
    start_worker(workers, notice_settings, smtp_server)
    with transaction.atomic():
        institution = InstitutionFactory()
        rows = person_notice_enqueue(
            topic="tests.invitation",
            subject=institution,
            title="鹿城托育平台机构账号邀请",
            text=TEXT,
            email="yuanzhang@example.cn",
            phone="13905771234",
            secret=True,
        )
    assert sorted(r.channel for r in rows) == [Channel.EMAIL, Channel.SMS]

    def delivered():
        return PushDelivery.objects.filter(pk__in=[r.pk for r in rows], status=DeliveryStatus.DELIVERED).count() == 2

    try:
        wait_until(delivered, timeout=30, message="both notices delivered")
    except pytest.fail.Exception:
        print(workers.logs())
        raise
    [mail] = smtp_server.received()
    message = mail.message()
    assert message["Subject"] == "鹿城托育平台机构账号邀请" and message.get_content().strip() == TEXT
    [sms] = receiver.received(SMS_PATH)
    assert verify(sms.body, sms.headers["x-signature"], SMS_SECRET) and sms.headers["x-api-key"] == SMS_KEY
    assert sms.json()["text"] == TEXT and sms.json()["phone"] == "13905771234"
    for row in PushDelivery.objects.filter(pk__in=[r.pk for r in rows]):
        assert row.payload["text"] == REDACTED
        kept = [json.dumps(h.payload, ensure_ascii=False) for h in row.history.all()]
        assert kept and all(TEXT not in k for k in kept)
