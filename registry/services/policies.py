"""The registry's dated policy rows: the push window of plan task 20.

A registration's push deadline is counted with the window in force on its day of
registration (``push_window_on``), and the registration keeps that row
(``Registration.push_rule``). A deadline counted under a rule stays under that rule: a
later row applies to registrations dated from its ``effective_from`` on, recounts of the
calendar (overrides, a year's arrangement becoming known) count again in the same rule's
working days, and nothing moves a recorded registration to another rule.

So that "the row in force on the day of registration" and "the row a registration was
counted under" are always the same row, a new row may not take effect on or before a
day that already has registrations counted under an earlier row, and a row that counted
a deadline keeps its day and its figure (its legal source and note may be corrected).
"""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from luchen_care.accounts.permissions import administers_district

from ..models import PushWindowPolicy, Registration


def can_change_push_window(user, policy=None) -> bool:
    """A county's health bureau enters and corrects its county's own push windows; the superuser
    also the defaults every county without a row of its own follows. Other staff read them.
    ``policy`` ``None`` asks whether ``user`` enters push windows at all."""
    if not (user and user.is_authenticated and administers_district(user)):
        return False
    if user.is_superuser or policy is None:
        return True
    return policy.county_id is not None and policy.county_id == user.county_id


def push_window_policy_validate(*, policy: PushWindowPolicy) -> None:
    """Check a push window as ``push_window_policy_save`` would save it; writes nothing.

    Raises a ``ValidationError`` keyed by field when:
    - the row already counted deadlines and its ``effective_from`` or ``working_days``
      changed (add a new row instead);
    - its ``effective_from`` is on or before the latest day of registration counted under
      an earlier row (those registrations keep their rule; a new rule starts after them).
    """
    errors = {}
    if policy.pk is not None:
        stored = PushWindowPolicy.objects.filter(pk=policy.pk).first()
        if stored is not None and stored.registrations.exists():
            for name in ("effective_from", "working_days"):
                if getattr(stored, name) != getattr(policy, name):
                    errors[name] = [
                        _(
                            "Registrations have been counted under this rule, so its %(field)s stays as it was. "
                            "To change the push window, add a new rule from the day it takes effect."
                        )
                        % {"field": PushWindowPolicy._meta.get_field(name).verbose_name}
                    ]
    if policy.effective_from and "effective_from" not in errors:
        # Registrations dated on or after the new day but counted under an earlier rule that the new
        # row would replace: a county's row, that county's registrations (under its earlier row or the
        # default); a default row, the registrations counted under an earlier default.
        if policy.county_id is None:
            affected = Registration.objects.filter(push_rule__county__isnull=True)
        else:
            affected = Registration.objects.filter(institution__street__county_id=policy.county_id)
        counted = (
            affected.filter(
                registered_on__gte=policy.effective_from, push_rule__effective_from__lt=policy.effective_from
            )
            .exclude(push_rule_id=policy.pk)
            .aggregate(latest=Max("registered_on"))["latest"]
        )
        if counted is not None:
            errors["effective_from"] = [
                _(
                    "Registrations dated up to %(latest)s have already been counted under the earlier rule, and "
                    "keep it. A new push window can take effect from %(next)s at the earliest."
                )
                % {"latest": counted.isoformat(), "next": (counted + datetime.timedelta(days=1)).isoformat()}
            ]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def push_window_policy_save(*, policy: PushWindowPolicy, actor) -> PushWindowPolicy:
    """Save a new push window, or correct one; return it.

    What it changes in the world: the row is saved with ``actor`` as its creator or last
    modifier, and a history row names ``actor``. From its ``effective_from`` on, newly
    recorded registrations count their push deadline with its ``working_days``.
    Registrations already recorded are never recounted under it.

    Raises ``PermissionDenied`` unless ``actor`` is the health bureau or a superuser, and
    the ``ValidationError`` of ``push_window_policy_validate`` (keyed by field).
    """
    if policy.pk is None and not actor.is_superuser:
        if policy.county_id is not None and policy.county_id != actor.county_id:
            raise PermissionDenied(_("A county's health bureau enters its own county's push windows only."))
        policy.county_id = actor.county_id  # a county's bureau enters its own county's rows
    stored = PushWindowPolicy.objects.filter(pk=policy.pk).first() if policy.pk is not None else None
    if not can_change_push_window(actor, stored or policy) or (stored and stored.county_id != policy.county_id):
        raise PermissionDenied(
            _(
                "Only the health bureau may enter or correct its county's push windows; "
                "the defaults are the superuser's."
            )
        )
    # Rows are few and rarely written: lock them all, so two corrections are checked one after the other.
    list(PushWindowPolicy.objects.select_for_update().values_list("pk", flat=True))
    push_window_policy_validate(policy=policy)
    policy.stamp(actor)
    policy.full_clean()
    policy.save()
    return policy
