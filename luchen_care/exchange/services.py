"""Pushing registrations to the health bureau: the outbox and its deliveries.

Interface used by the registry (keep it stable):
``registration_push_enqueue(registration=...)`` must be called inside the transaction
that saves a registration. It writes one ``PushDelivery`` per enabled channel and, on
commit, enqueues their delivery.

A registration counts as pushed (``push_status=pushed``, ``pushed_at``) when the health
bureau has it: the webhook delivery's ``delivered_at`` when ``HEALTH_BUREAU_PUSH_URL``
is configured, otherwise the inbox delivery. DingTalk is a notification, not the push.
"""

from django.conf import settings
from django.db import transaction

from .models import Channel, PushDelivery


def enabled_channels():
    channels = [Channel.INBOX]
    if settings.HEALTH_BUREAU_PUSH_URL:
        channels.append(Channel.WEBHOOK)
    if settings.DINGTALK_WEBHOOK_URL:
        channels.append(Channel.DINGTALK)
    return channels


def registration_push_enqueue(*, registration):
    """Write the registration's outbox rows (one per enabled channel) and enqueue them on commit."""
    deliveries = [
        PushDelivery.objects.get_or_create(registration=registration, channel=channel)[0]
        for channel in enabled_channels()
    ]
    from .tasks import deliver_push  # noqa: PLC0415  (tasks import services)

    for delivery in deliveries:
        transaction.on_commit(lambda pk=delivery.pk: deliver_push.delay(pk))
    return deliveries
