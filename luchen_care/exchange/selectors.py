"""Reads of the outbox."""

from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from .models import Channel, DeliveryStatus, PushDelivery


def deliveries_due(*, now=None):
    """Pending deliveries whose task may have been lost: due, or new, for more than the scan's grace period.

    Oldest first. The grace period (``PUSH_SCAN_GRACE_SECONDS``) leaves a just-saved row
    or a scheduled retry to the message that is already on its way; a row whose lease has
    not expired is left to the attempt that holds it.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.PUSH_SCAN_GRACE_SECONDS)
    return (
        PushDelivery.objects.filter(status=DeliveryStatus.PENDING)
        .filter(Q(next_attempt_at__lte=cutoff) | Q(next_attempt_at__isnull=True, created_at__lte=cutoff))
        .filter(Q(locked_until__isnull=True) | Q(locked_until__lte=now))
        .order_by(Coalesce("next_attempt_at", "created_at"), "pk")
    )


# --- The institution's portal inbox (``Channel.PORTAL``) --------------------------------------


def portal_messages(user, *, unread=False):
    """The portal inbox of ``user``: the PORTAL notices about what ``user`` sees, newest first
    (an institution's, and its branches' for a head office); ``unread``: those nobody opened yet."""
    rows = PushDelivery.objects.visible_to(user).filter(channel=Channel.PORTAL)
    if unread:
        rows = rows.filter(read_at__isnull=True)
    return rows.select_related("read_by").order_by("-created_at", "-pk")


def portal_unread_count(user) -> int:
    """How many of ``portal_messages(user)`` nobody has opened yet (one query)."""
    return portal_messages(user, unread=True).count()
