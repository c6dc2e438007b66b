"""Writes to institutions: records, classes and the lifecycle's named transitions.

Admin, API, commands and tasks all change institutions here."""

import functools
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..models import (
    Institution,
    InstitutionClass,
    InstitutionStatus,
    InstitutionStep,
    InstitutionTransition,
    Street,
)
from ..permissions import can_transition_institution, can_write_institution
from ..validators import normalize_credit_code

S = InstitutionStatus

# The lifecycle dates: only the transitions below write them (``registered_on`` is given once,
# when the institution is registered).
LIFECYCLE_FIELDS = ("status", "registered_on", "filed_on", "operating_since", "suspended_on", "closed_on")


@transaction.atomic
def institution_save(*, institution, actor, reason="", authorized=False) -> Institution:
    """Validate and save ``institution`` (new or changed) on behalf of ``actor``.

    - Checks that ``actor`` may write it (``registry.permissions``), unless the caller has
      checked a narrower right itself (``authorized=True``: a registration authority
      recording a registration).
    - A new institution starts *registered* (on ``registered_on``, today unless given). Its
      status and lifecycle dates change only through the transitions below
      (``institution_mark_filed`` … ``institution_close``): a save that changes them is refused,
      keyed by the field.
    - A closed institution is archived and read-only. Nothing is ever deleted.
    - Writes a history row naming ``actor``.
    """
    # The stored row, locked until commit: a concurrent transition cannot slip in between.
    stored = (
        None
        if institution.pk is None
        else Institution.objects.select_for_update().order_by().filter(pk=institution.pk).first()
    )
    if actor is not None and not authorized:
        if not can_write_institution(actor, kind=institution.kind, stored=stored):
            raise PermissionDenied(_("You may not register or change institutions of this kind."))
    if stored is not None and stored.status == S.CLOSED:
        raise ValidationError(_("This institution is closed and archived; it can no longer be changed."))
    if actor is not None and institution.street_id is not None:
        # A bureau writes in its own county only: a street of another county is refused.
        if not Street.objects.visible_to(actor).filter(pk=institution.street_id).exists():
            raise ValidationError({"street": _("This street or town is not in your county.")})
    if stored is None:
        if institution.status != S.REGISTERED:
            raise ValidationError({"status": _("A new institution starts as registered; record its filing next.")})
        dated = [name for name in LIFECYCLE_FIELDS[2:] if getattr(institution, name) is not None]
        if dated:
            raise ValidationError({name: lifecycle_field_message() for name in dated})
        if institution.registered_on is None:
            institution.registered_on = timezone.localdate()
    else:
        changed = [name for name in LIFECYCLE_FIELDS if getattr(institution, name) != getattr(stored, name)]
        if changed:
            raise ValidationError({name: lifecycle_field_message() for name in changed})
    institution.credit_code = normalize_credit_code(institution.credit_code)
    # Shown as the change reason in the admin's history (a 100-character column there).
    institution._change_reason = reason[:100] or None
    institution.stamp(actor)
    institution.full_clean()
    institution.save()
    return institution


def lifecycle_field_message():
    return _(
        "The status and its dates change only through the lifecycle steps "
        "(record the filing, the start of operations, suspend, resume, close)."
    )


def institution_set_classes(*, institution, classes):
    """Make the institution's classes exactly ``classes`` (dicts of type, count, capacity)."""
    keep = []
    for item in classes:
        obj, _created = InstitutionClass.objects.update_or_create(
            institution=institution,
            class_type=item["class_type"],
            defaults={"class_count": item["class_count"], "capacity": item["capacity"]},
        )
        keep.append(obj.pk)
    for stale in institution.classes.exclude(pk__in=keep):
        stale.delete()


@transaction.atomic
def institution_create(*, actor, classes=None, authorized=False, **fields) -> Institution:
    """Register a new institution, with its classes, on behalf of ``actor``."""
    institution = institution_save(institution=Institution(**fields), actor=actor, authorized=authorized)
    if classes is not None:
        institution_set_classes(institution=institution, classes=classes)
    return institution


@transaction.atomic
def institution_update(*, institution, actor, classes=None, reason="", authorized=False, **fields) -> Institution:
    """Change the given fields (and, if given, the classes) of an institution."""
    for name, value in fields.items():
        setattr(institution, name, value)
    institution_save(institution=institution, actor=actor, reason=reason, authorized=authorized)
    if classes is not None:
        institution_set_classes(institution=institution, classes=classes)
    return institution


# --- the lifecycle: registered → filed → operating ⇄ suspended; anything → closed ----------------------


@dataclass(frozen=True)
class Transition:
    """One named step of the institution lifecycle: where it may start, where it leads, what it needs.

    ``refused`` is the message on ``status`` when the institution is in no source status;
    ``requires`` names the inputs that must be given (``effective_on``, ``document_reference``,
    ``reason``); ``date_field`` is the lifecycle date the step writes (its ``effective_on``).
    """

    name: str
    sources: frozenset
    target: str
    date_field: str
    requires: tuple
    refused: str
    required_messages: dict = field(default_factory=dict)

    @property
    def label(self):
        return InstitutionStep(self.name).label


#: Every lifecycle step, by name: the table the services, admin actions and API endpoints share.
INSTITUTION_TRANSITIONS: dict[str, Transition] = {}


def _effective_on_errors(institution, effective_on):
    """Guards every step shares: a step is not dated in the future, nor before the current status began."""
    if effective_on > timezone.localdate():
        return {"effective_on": _("The date of a lifecycle step cannot be in the future.")}
    started = institution.status_since
    if started is not None and effective_on < started:
        return {
            "effective_on": _("The date cannot be before %(date)s, when the institution became “%(status)s”.")
            % {"date": started.isoformat(), "status": S(institution.status).label}
        }
    return {}


def institution_transition(*, sources, target, date_field, refused, requires=(), required_messages=None):
    """Declare a lifecycle step; the decorated function adds what the step does beyond status and date.

    The service it makes (keyword-only: ``institution``, ``actor``, ``effective_on``,
    ``document_reference``, ``reason``), in one transaction:

    - locks the institution's row and checks ``actor``'s right (``can_transition_institution``);
    - refuses, keyed by field, a step from a status not in ``sources`` (on ``status``), a missing
      required input (on that input), a date in the future or before the current status began
      (on ``effective_on``); nothing is saved then;
    - sets ``status`` to ``target`` and ``date_field`` to the effective date, runs the decorated
      function, validates (``full_clean``) and saves the institution, whose history row names
      ``actor`` and the step;
    - records the step (``InstitutionTransition``: who, when, from, to, date, document, reason).
    """

    def decorate(func):
        step = Transition(
            name=func.__name__.removeprefix("institution_"),
            sources=frozenset(sources),
            target=target,
            date_field=date_field,
            requires=tuple(requires),
            refused=refused,
            required_messages=required_messages or {},
        )

        @functools.wraps(func)
        @transaction.atomic
        def service(*, institution, actor, effective_on=None, document_reference="", reason="") -> Institution:
            locked = Institution.objects.select_for_update().order_by().filter(pk=institution.pk).first()
            if locked is None:
                raise ValidationError(_("This institution does not exist."))
            if actor is not None and not can_transition_institution(actor, locked):
                raise PermissionDenied(_("You may not change the lifecycle of this institution."))
            if locked.status not in step.sources:
                raise ValidationError({"status": step.refused % {"status": S(locked.status).label}})
            given = {"effective_on": effective_on, "document_reference": document_reference, "reason": reason}
            errors = {
                name: step.required_messages.get(name) or _("This field is required.")
                for name in step.requires
                if given[name] in (None, "") or (isinstance(given[name], str) and not given[name].strip())
            }
            if errors:
                raise ValidationError(errors)
            effective_on = effective_on or timezone.localdate()
            errors = _effective_on_errors(locked, effective_on)
            if errors:
                raise ValidationError(errors)
            source = locked.status
            locked.status = step.target
            setattr(locked, step.date_field, effective_on)
            func(institution=locked, actor=actor, effective_on=effective_on, reason=reason)
            # The history row says which step it was (a 100-character column in the admin).
            locked._change_reason = f"{step.label}: {reason}"[:100] if reason else str(step.label)
            locked.stamp(actor)
            locked.full_clean()
            locked.save()
            InstitutionTransition.objects.create(
                institution=locked,
                name=step.name,
                source=source,
                target=step.target,
                effective_on=effective_on,
                document_reference=document_reference.strip(),
                comment=reason.strip(),
                actor=actor if getattr(actor, "is_authenticated", False) else None,
            )
            return locked

        service.transition = step
        INSTITUTION_TRANSITIONS[step.name] = step
        return service

    return decorate


@institution_transition(
    sources={S.REGISTERED},
    target=S.FILED,
    date_field="filed_on",
    requires=("effective_on", "document_reference", "reason"),
    refused=gettext_lazy("Only a registered institution can be recorded as filed; this one is “%(status)s”."),
)
def institution_mark_filed(*, institution, actor, effective_on, reason):
    """Record that the institution has filed (备案) with the health bureau (nursery classes: the
    education bureau) on ``effective_on``, under the receipt ``document_reference``.

    Until online filing exists the bureau records it by hand, also for institutions that filed
    on paper before the platform; the filing workflow will call this step when a filing is
    approved. The institution then counts as filed in every list, export and dashboard.
    """


@institution_transition(
    sources={S.FILED},
    target=S.OPERATING,
    date_field="operating_since",
    requires=("effective_on", "document_reference", "reason"),
    refused=gettext_lazy("Only a filed institution can start operating; this one is “%(status)s”."),
)
def institution_mark_operating(*, institution, actor, effective_on, reason):
    """Record that the filed institution took in children from ``effective_on`` (``operating_since``).

    It then counts among the operating institutions and their places in every list and report.
    """


@institution_transition(
    sources={S.FILED, S.OPERATING},
    target=S.SUSPENDED,
    date_field="suspended_on",
    requires=("effective_on", "reason"),
    refused=gettext_lazy("A “%(status)s” institution cannot be suspended."),
)
def institution_suspend(*, institution, actor, effective_on, reason):
    """Suspend the institution from ``effective_on`` (an order, a rectification, its own request).

    It takes in no children while suspended; it stays in every list as suspended, with its
    places, until it resumes or closes.
    """


@institution_transition(
    sources={S.SUSPENDED},
    target=S.OPERATING,
    date_field="operating_since",
    refused=gettext_lazy("Only a suspended institution can resume; this one is “%(status)s”."),
)
def institution_resume(*, institution, actor, effective_on, reason):
    """Let a suspended institution operate again from ``effective_on`` (today unless given).

    ``operating_since`` becomes that date; ``suspended_on`` keeps the date of the suspension,
    and the step log keeps every earlier one.
    """


@institution_transition(
    sources={S.REGISTERED, S.FILED, S.OPERATING, S.SUSPENDED},
    target=S.CLOSED,
    date_field="closed_on",
    requires=("reason",),
    refused=gettext_lazy("A “%(status)s” institution is already closed."),
    required_messages={"reason": gettext_lazy("Say why it closes and how its children were placed safely.")},
)
def institution_close(*, institution, actor, effective_on, reason):
    """Close (注销) the institution on ``effective_on`` and archive it.

    The reason says how its children were placed safely; it is kept whole on the record
    (``archived_reason``). The record, its classes, registrations and history remain, read-only:
    nothing changes a closed institution afterwards, and no step follows closing.
    """
    institution.archive(user=actor, reason=reason)


@transaction.atomic
def institution_onboard(
    *, actor, status, filed_on, document_reference, reason, operating_since=None, **fields
) -> Institution:
    """Record an institution that filed before the platform (on paper), with the lifecycle it has reached.

    What it changes in the world, in one transaction, on behalf of ``actor``:
    - registers the institution (``institution_create``: audit fields and a history row);
    - records its filing on ``filed_on`` under the receipt ``document_reference``
      (``institution_mark_filed``: a lifecycle step naming ``actor``, with ``reason``);
    - if ``status`` is *operating*, records the start of operations on ``operating_since``
      (``institution_mark_operating``), citing the same document: the paper filing is what the
      bureau holds.

    A step refused raises a ``ValidationError`` keyed by the input: a step's date is reported
    on ``filed_on`` or ``operating_since``, not on the step's ``effective_on``.
    """
    if status not in (S.FILED, S.OPERATING):
        raise ValidationError({"status": _("An institution is recorded here as filed or as operating.")})
    institution = institution_create(actor=actor, **fields)
    steps = [(institution_mark_filed, "filed_on", filed_on)]
    if status == S.OPERATING:
        steps.append((institution_mark_operating, "operating_since", operating_since))
    for step, date_field, day in steps:
        try:
            institution = step(
                institution=institution,
                actor=actor,
                effective_on=day,
                document_reference=document_reference,
                reason=reason,
            )
        except ValidationError as exc:
            if not hasattr(exc, "error_dict"):
                raise
            raise ValidationError(
                {date_field if name == "effective_on" else name: errors for name, errors in exc.error_dict.items()}
            ) from exc
    return institution
