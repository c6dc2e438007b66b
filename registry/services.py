"""Writes to the registry. Admin, API, commands and tasks all change institutions here."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from luchen_care.accounts.permissions import administers_district

from .models import Institution, InstitutionClass, InstitutionStatus, StreetPopulation
from .permissions import can_write_institution
from .validators import normalize_credit_code

S = InstitutionStatus

# Each lifecycle status and the statuses it may move to. Closing is final.
TRANSITIONS = {
    S.REGISTERED: {S.FILED, S.CLOSED},
    S.FILED: {S.OPERATING, S.SUSPENDED, S.CLOSED},
    S.OPERATING: {S.SUSPENDED, S.CLOSED},
    S.SUSPENDED: {S.OPERATING, S.CLOSED},
    S.CLOSED: set(),
}
STATUS_DATE_FIELD = {
    S.REGISTERED: "registered_on",
    S.FILED: "filed_on",
    S.OPERATING: "operating_since",
    S.SUSPENDED: "suspended_on",
    S.CLOSED: "closed_on",
}


def institution_check_transition(*, old_status, new_status):
    """Raise ``ValidationError`` on ``status`` unless ``old_status → new_status`` is allowed."""
    if old_status is None or old_status == new_status:
        return
    if new_status not in TRANSITIONS[S(old_status)]:
        raise ValidationError(
            {
                "status": _("An institution cannot go from “%(old)s” to “%(new)s”.")
                % {"old": S(old_status).label, "new": S(new_status).label}
            }
        )


def institution_stored_status(institution):
    """The status as stored, before any unsaved change; ``None`` for a new record."""
    if institution.pk is None:
        return None
    return Institution.objects.filter(pk=institution.pk).order_by().values_list("status", flat=True).first()


@transaction.atomic
def institution_save(*, institution, actor, reason="", authorized=False) -> Institution:
    """Validate and save ``institution`` (new or changed) on behalf of ``actor``.

    - Checks that ``actor`` may write it (``registry.permissions``), unless the caller has
      checked a narrower right itself (``authorized=True``: a registration authority
      recording a registration).
    - Status changes follow ``TRANSITIONS`` and stamp the date of the new status.
    - Closing archives the institution; a closed institution is read-only. Nothing is
      ever deleted.
    - Writes a history row naming ``actor``.
    """
    # The stored row, locked until commit: two concurrent changes cannot both pass the
    # transition check from the same status.
    stored = (
        None
        if institution.pk is None
        else Institution.objects.select_for_update().order_by().filter(pk=institution.pk).first()
    )
    old_status = stored.status if stored else None
    if actor is not None and not authorized:
        if not can_write_institution(actor, kind=institution.kind, stored=stored):
            raise PermissionDenied(_("You may not register or change institutions of this kind."))
    if old_status == S.CLOSED:
        raise ValidationError(_("This institution is closed and archived; it can no longer be changed."))
    institution.credit_code = normalize_credit_code(institution.credit_code)
    institution_check_transition(old_status=old_status, new_status=institution.status)
    date_field = STATUS_DATE_FIELD[S(institution.status)]
    if old_status is not None and old_status != institution.status:
        # Entering a status again (suspended a second time) dates it anew, unless the caller
        # gave the date of this change itself.
        if getattr(institution, date_field) == getattr(stored, date_field):
            setattr(institution, date_field, None)
    if getattr(institution, date_field) is None:
        setattr(institution, date_field, timezone.localdate())
    if institution.status == S.CLOSED and not institution.archived:
        institution.archive(user=actor, reason=reason or _("Institution closed"))
    # Shown as the change reason in the admin's history (a 100-character column there).
    institution._change_reason = reason[:100] or None
    institution.stamp(actor)
    institution.full_clean()
    institution.save()
    return institution


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


def institution_close(*, institution, actor, reason, closed_on=None) -> Institution:
    """Close and archive an institution. Its record and history remain."""
    return institution_update(
        institution=institution,
        actor=actor,
        reason=reason,
        status=S.CLOSED,
        closed_on=closed_on or timezone.localdate(),
    )


@transaction.atomic
def street_population_save(*, population: StreetPopulation, actor) -> StreetPopulation:
    """Validate and save a street's population figure on behalf of ``actor``.

    Only the health bureau (and superusers) edit district reference data; a history row
    names ``actor``. The admin's change form, its inline on each street and the history
    page's revert all come here.
    """
    if actor is not None and not administers_district(actor):
        raise PermissionDenied(_("Only the health bureau may change population figures."))
    population.stamp(actor)
    population.full_clean()
    population.save()
    return population
