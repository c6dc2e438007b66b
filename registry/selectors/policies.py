"""Reads of the registry's dated policy rows: the push window in force on a day."""

import datetime

from django.utils import timezone

from luchen_care.core.policy import PolicyNotInForce, policy_on

from ..models import PushWindowPolicy


def push_window_on(day: datetime.date, county_id=None) -> PushWindowPolicy:
    """The push window in force on ``day`` in the county ``county_id`` (its own row wins over the
    default from its date); ``PolicyNotInForce`` before the first row."""
    return policy_on(PushWindowPolicy, day, county_id)


def push_window_current(county_id=None) -> PushWindowPolicy | None:
    """The push window in force today (Asia/Shanghai) in the county ``county_id`` (the default for
    none), for pages that state the rule; ``None`` if none."""
    try:
        return push_window_on(timezone.localdate(), county_id)
    except PolicyNotInForce:
        return None
