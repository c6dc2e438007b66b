"""Celery tasks of the push pipeline. Thin: the work is in ``services``."""

from celery import shared_task


@shared_task(acks_late=True)
def deliver_push(delivery_id):
    """Deliver one outbox row. (Placeholder until the push pipeline lands.)"""
    return delivery_id
