"""Celery tasks of the accounts app. Thin: the work is in services."""

import logging

from celery import shared_task

from .services import api_token_expiry_notices_send

log = logging.getLogger(__name__)


@shared_task(name="accounts.api_token_expiry_notices", acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def api_token_expiry_notices():
    """Beat, daily: notify each client whose live API token expires soon, once per token.

    Changes in the world: see ``services.api_token_expiry_notices_send`` (one outbox notice per
    token, to its client's county's channels; the outbox delivers it).
    """
    sent = api_token_expiry_notices_send()
    log.info("API token expiry notices: %s", sent)
    return sent
