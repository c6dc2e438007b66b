"""Reads of the registry's dated policy rows: the push window in force on a day."""

import datetime

from django.utils import timezone

from luchen_care.core.policy import policy_on

from ..models import PushWindowPolicy


def push_window_on(day: datetime.date) -> PushWindowPolicy:
    """The push window in force on ``day``; ``PolicyNotInForce`` before the first row."""
    return policy_on(PushWindowPolicy, day)


def push_window_current() -> PushWindowPolicy | None:
    """The push window in force today (Asia/Shanghai), for pages that state the rule; ``None`` if none."""
    return PushWindowPolicy.objects.filter(effective_from__lte=timezone.localdate()).order_by("-effective_from").first()
