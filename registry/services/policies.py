"""The registry's dated policy rows: the push window of plan task 20, the filing deadlines and the
guided fee ranges of filings.

A registration's push deadline is counted with the window in force on its day of
registration (``push_window_on``), and the registration keeps that row
(``Registration.push_rule``). A deadline counted under a rule stays under that rule: a
later row applies to registrations dated from its ``effective_from`` on, recounts of the
calendar (overrides, a year's arrangement becoming known) count again in the same rule's
working days, and nothing moves a recorded registration to another rule.

The same holds for a filing's deadline rule (the day its clocks started) and its guided fee range
(the day it was submitted): ``filing_deadline_policy_save``, ``guided_fee_policy_save``.

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

from ..models import Filing, FilingDeadlinePolicy, GuidedFeePolicy, PushWindowPolicy, Registration


def can_change_policy(user, policy=None) -> bool:
    """A county's health bureau enters and corrects its county's own rows of a dated policy (push
    windows, filing deadlines, guided fee ranges); the superuser also the defaults every county
    without a row of its own follows. Other staff read them. ``policy`` ``None`` asks whether
    ``user`` enters rows of the policy at all."""
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
    return _county_policy_save(policy, actor, push_window_policy_validate)


# --- the filing's policies: deadlines and guided fees ---------------------------------------------


def _filing_policy_validate(policy, *, rule_field, figures):
    """The rules of ``push_window_policy_validate`` for a policy filings are counted under
    (``Filing.<rule_field>``, from the day their clocks started, ``clock_started_on``)."""
    model = type(policy)
    errors = {}
    if policy.pk is not None:
        stored = model.objects.filter(pk=policy.pk).first()
        if stored is not None and Filing.objects.filter(**{rule_field: stored}).exists():
            for name in ("effective_from", *figures):
                if getattr(stored, name) != getattr(policy, name):
                    errors[name] = [
                        _(
                            "Filings have been counted under this rule, so its %(field)s stays as it was. "
                            "To change it, add a new rule from the day it takes effect."
                        )
                        % {"field": model._meta.get_field(name).verbose_name}
                    ]
    if policy.effective_from and "effective_from" not in errors:
        if policy.county_id is None:
            affected = Filing.objects.filter(**{f"{rule_field}__county__isnull": True})
        else:
            affected = Filing.objects.filter(institution__street__county_id=policy.county_id)
        counted = (
            affected.filter(
                clock_started_on__gte=policy.effective_from,
                **{f"{rule_field}__effective_from__lt": policy.effective_from},
            )
            .exclude(**{f"{rule_field}_id": policy.pk})
            .aggregate(latest=Max("clock_started_on"))["latest"]
        )
        if counted is not None:
            errors["effective_from"] = [
                _(
                    "Filings submitted up to %(latest)s have already been counted under the earlier rule, and "
                    "keep it. A new rule can take effect from %(next)s at the earliest."
                )
                % {"latest": counted.isoformat(), "next": (counted + datetime.timedelta(days=1)).isoformat()}
            ]
    if errors:
        raise ValidationError(errors)


def filing_deadline_policy_validate(*, policy: FilingDeadlinePolicy) -> None:
    """Check a filing deadline rule as ``filing_deadline_policy_save`` would save it; writes nothing.

    A rule that counted filings keeps its day, its two figures and its on-site check switch; a new
    rule cannot take effect on or before a day whose filings were counted under an earlier one.
    Raises a ``ValidationError`` keyed by field."""
    _filing_policy_validate(
        policy,
        rule_field="deadline_rule",
        figures=("receipt_working_days", "notice_working_days", "site_check_required"),
    )


def guided_fee_policy_validate(*, policy: GuidedFeePolicy) -> None:
    """Check a guided fee range as ``guided_fee_policy_save`` would save it; writes nothing.

    A range that filings were compared with keeps its day and its four figures; a new range cannot
    take effect on or before a day whose filings were compared with an earlier one."""
    _filing_policy_validate(
        policy, rule_field="fee_rule", figures=("full_day_min", "full_day_max", "half_day_min", "half_day_max")
    )


def _county_policy_save(policy, actor, validate):
    """Save ``policy`` (a push window, filing deadline rule or guided fee range) for ``actor``: a
    county's health bureau its own county's rows, the superuser the defaults; ``validate`` first,
    with the rows locked, so two corrections are checked one after the other."""
    model = type(policy)
    rules = {"rules": model._meta.verbose_name_plural}
    if policy.pk is None and not actor.is_superuser:
        if policy.county_id is not None and policy.county_id != actor.county_id:
            raise PermissionDenied(_("A county's health bureau enters its own county's %(rules)s only.") % rules)
        policy.county_id = actor.county_id  # a county's bureau enters its own county's rows
    stored = model.objects.filter(pk=policy.pk).first() if policy.pk is not None else None
    if not can_change_policy(actor, stored or policy) or (stored and stored.county_id != policy.county_id):
        raise PermissionDenied(
            _("Only the health bureau may enter or correct its county's %(rules)s; the defaults are the superuser's.")
            % rules
        )
    # Rows are few and rarely written: lock them all.
    list(model.objects.select_for_update().values_list("pk", flat=True))
    validate(policy=policy)
    policy.stamp(actor)
    policy.full_clean()
    policy.save()
    return policy


@transaction.atomic
def filing_deadline_policy_save(*, policy: FilingDeadlinePolicy, actor) -> FilingDeadlinePolicy:
    """Save a new filing deadline rule, or correct one; return it.

    What it changes in the world: the row, with ``actor`` as its creator or last modifier and a
    history row naming ``actor``. Filings submitted from its ``effective_from`` on are counted with
    its working days (and checked on site when it says so); filings already counted keep their rule.

    Raises ``PermissionDenied`` unless ``actor`` is its county's health bureau (the defaults: a
    superuser), and the ``ValidationError`` of ``filing_deadline_policy_validate``."""
    return _county_policy_save(policy, actor, filing_deadline_policy_validate)


@transaction.atomic
def guided_fee_policy_save(*, policy: GuidedFeePolicy, actor) -> GuidedFeePolicy:
    """Save a new guided fee range, or correct one; return it.

    What it changes in the world: the row, with ``actor`` and a history row. Public and inclusive
    institutions' filings submitted from its ``effective_from`` on are compared with it; filings
    already compared keep their range and their flag.

    Raises ``PermissionDenied`` as ``filing_deadline_policy_save`` does, and the ``ValidationError``
    of ``guided_fee_policy_validate``."""
    return _county_policy_save(policy, actor, guided_fee_policy_validate)
