"""Celery tasks of the access log. Thin: the work is in services."""

import logging

from celery import shared_task

from .services import personal_data_access_prune

log = logging.getLogger(__name__)


@shared_task(name="audit.prune_personal_data_access", ignore_result=True)
def prune_personal_data_access():
    """Beat, daily: delete access-log entries past ``PERSONAL_DATA_ACCESS_RETENTION_DAYS`` (180 by default).

    Changes in the world: those entries are gone; every other entry stays as it was.
    """
    count = personal_data_access_prune()
    log.info("personal data access log: %d entries past retention deleted", count)
    return count
