"""The registry's subscriptions to the cross-cutting apps' announcements.

Connected in ``RegistryConfig.ready()``. Each receiver only calls a registry service, so the
rule stays in one place and the announcing app needs to know nothing of the registry.
"""

from django.dispatch import receiver

from luchen_care.exchange.signals import delivery_recorded
from luchen_care.workdays.signals import working_days_changed

from .services import push
from .services.filings import filing_deadlines_recompute
from .services.registrations import registration_deadlines_recompute
from .services.streets import street_statistics_refresh


@receiver(working_days_changed, dispatch_uid="registry.recount_push_deadlines")
def recount_push_deadlines(sender, *, days, cause, actor, **kwargs):
    """A working-day override was added, changed or deleted: recount the push deadlines whose
    window holds one of ``days``, in the calendar's transaction."""
    registration_deadlines_recompute(days=days, cause=cause, actor=actor)


@receiver(working_days_changed, dispatch_uid="registry.recount_filing_deadlines")
def recount_filing_deadlines(sender, *, days, cause, actor, **kwargs):
    """The same change recounts the review deadlines of the filings waiting for a bureau."""
    filing_deadlines_recompute(days=days, cause=cause, actor=actor)


@receiver(delivery_recorded, dispatch_uid="registry.record_delivery_outcome")
def record_delivery_outcome(sender, *, delivery, actor=None, reason="", **kwargs):
    """An outbox delivery of one of the registry's topics changed state: record it (push status, digest)."""
    push.delivery_outcome_record(delivery=delivery, actor=actor, reason=reason)


def analyze_streets(sender, *, using="default", **kwargs):
    """``migrate`` has run (connected to the registry's own post_migrate): the streets it loaded get
    the planner's statistics."""
    street_statistics_refresh(using=using)
