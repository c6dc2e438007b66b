"""Celery tasks of the registry. Thin: the work is in services."""

import logging

from celery import shared_task

from .services.filings import filing_deadlines_recompute
from .services.push import overdue_digest_send
from .services.registrations import registration_deadlines_recompute

log = logging.getLogger(__name__)


@shared_task(name="registry.recompute_provisional_push_deadlines")
def recompute_provisional_push_deadlines():
    """Recount the deadlines the calendar as now known counts differently (provisional ones, override days):
    registrations' push deadlines and the review deadlines of filings waiting for a bureau."""
    return registration_deadlines_recompute() + filing_deadlines_recompute()


@shared_task(name="registry.overdue_digest", acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def overdue_digest():
    """Beat, daily: hand today's digest of overdue registrations to the outbox, once.

    Changes in the world: see ``push.overdue_digest_send`` (the day's ``DigestRun`` and its
    outbox rows; the outbox then sends the webhook POST and the DingTalk message, with retries).
    """
    outcome = overdue_digest_send()
    log.info("overdue digest: %s", outcome)
    return outcome
