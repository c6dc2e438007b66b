"""Celery tasks of the registry. Thin: the work is in services."""

from celery import shared_task

from .registrations import registration_deadlines_recompute


@shared_task(name="registry.recompute_provisional_push_deadlines")
def recompute_provisional_push_deadlines():
    """Recount provisional push deadlines once their year's calendar is known (see the service)."""
    return registration_deadlines_recompute()
