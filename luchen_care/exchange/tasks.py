"""Celery tasks of the outbox. Thin: the work is in ``services``.

Every task runs with ``acks_late`` and ``reject_on_worker_lost``: the broker keeps the
message until the task has finished, so a worker that dies mid-task loses nothing. The
message comes back (immediately when a prefork child dies; after Redis's
``visibility_timeout`` when the whole worker dies), and the beat scan re-enqueues
anything still pending. The services make a second run harmless.
"""

import logging

from celery import shared_task

from . import services

log = logging.getLogger(__name__)


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=None, ignore_result=True)
def deliver_push(self, delivery_id):
    """Deliver one outbox row (``PushDelivery``) to its channel, or schedule its retry.

    Changes in the world: see ``services.delivery_attempt`` (one request to the channel,
    the row's status and attempts, and what its sender records of the outcome). A
    transient failure re-publishes this task with the backoff countdown; a row leased by
    another attempt (a dead worker's, say) is tried again when the lease expires. In eager
    mode (no broker) the row is left pending for the beat scan instead of retrying inline.
    """
    attempt = services.delivery_attempt(delivery_id=delivery_id)
    if attempt.outcome != "skipped":
        log.info("push delivery %s: %s %s", delivery_id, attempt.outcome, attempt.detail)
    if attempt.retry_in is not None and not self.request.is_eager:
        raise self.retry(countdown=attempt.retry_in)
    return attempt.outcome


@shared_task(acks_late=True, ignore_result=True)
def deliver_pushes(delivery_ids):
    """Publish ``deliver_push`` for each of a batch of outbox rows (a file's import commits thousands).

    Changes in the world: publishes one message per row; nothing else. Run twice (a redelivered
    message), each row is still delivered once: an attempt claims its row, and a delivered row
    is never sent again.
    """
    for delivery_id in delivery_ids:
        deliver_push.delay(delivery_id)
    return len(delivery_ids)


@shared_task(acks_late=True, ignore_result=True)
def scan_pending_pushes():
    """Beat, every few minutes: re-enqueue pending deliveries whose task may have been lost.

    Changes in the world: publishes ``deliver_push`` messages; see
    ``services.pending_pushes_enqueue``.
    """
    count = services.pending_pushes_enqueue()
    if count:
        log.warning("push scan re-enqueued %s pending deliveries", count)
    return count
