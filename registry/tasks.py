"""Celery tasks of the registry. Thin: the work is in services."""

from celery import shared_task

from .registrations import registration_deadlines_recompute


@shared_task(name="registry.recompute_provisional_push_deadlines")
def recompute_provisional_push_deadlines():
    """Recount push deadlines the calendar as now known counts differently (provisional ones, override days)."""
    return registration_deadlines_recompute()
