"""Reads from the registry. Scoping always goes through ``Institution.objects.visible_to``."""

import datetime
from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.db.models import Exists, OuterRef, Prefetch, Subquery

from luchen_care.exchange.models import Channel, DeliveryStatus, PushDelivery

from .models import ClassType, InboxEntry, Institution, InstitutionClass, Registration
from .push import REGISTRATION_TOPIC

CLASS_ROW_FIELDS = ("class_type", "class_count", "capacity")


def institution_list(*, user, with_classes=True):
    """The institutions ``user`` may see, with what a list needs loaded up front.

    - ``street`` is joined (its code and name are shown); the chain head office is not:
      only its id is shown, and that is ``head_office_id`` on the row itself.
    - Classes are prefetched in one query, ordered by type only. ``InstitutionClass``'s
      default ordering (``institution``, then ``class_type``) would expand to the
      institution's own ordering and join the institution and street tables again just
      to sort. ``with_classes=False`` leaves them out, for a caller that reads a whole
      page's classes with ``institution_class_rows`` instead.
    """
    queryset = Institution.objects.visible_to(user).select_related("street")
    if with_classes:
        queryset = queryset.prefetch_related(
            Prefetch("classes", queryset=InstitutionClass.objects.order_by("class_type"))
        )
    return queryset


def institution_class_rows(institution_ids):
    """The classes of these institutions in one query, as ``{institution id: [row, …]}``.

    Each row is a dict of ``CLASS_ROW_FIELDS``, in class-type order; an institution without
    classes has an empty list. Plain rows, not model instances: for pages of a list, where
    building and prefetching 200 ``InstitutionClass`` objects costs more than the query.
    The ids must come from an already scoped queryset (``institution_list``).
    """
    rows = {pk: [] for pk in institution_ids}
    if rows:
        values = (
            InstitutionClass.objects.filter(institution_id__in=rows)
            .order_by("institution_id", "class_type")
            .values_list("institution_id", *CLASS_ROW_FIELDS)
        )
        for institution_id, *row in values:
            rows[institution_id].append(dict(zip(CLASS_ROW_FIELDS, row, strict=True)))
    return rows


def institution_get(*, user, pk):
    """One institution ``user`` may see; ``Institution.DoesNotExist`` otherwise (a 404)."""
    return institution_list(user=user).get(pk=pk)


# What a class row records, in the order its changes are shown.
CLASS_HISTORY_FIELDS = ("class_type", "class_count", "capacity")
CLASS_FIGURES = ("class_count", "capacity")


@dataclass
class ClassChange:
    """One recorded change to an institution's classes: who, when, and what (old → new).

    ``action`` is the history type: ``+`` added, ``~`` changed, ``-`` removed. ``changes``
    holds ``(field label, old, new)`` with choice labels for the class type; ``None`` stands
    for "nothing" (the old value of an addition, the new value of a removal).
    """

    when: datetime.datetime
    user: object
    action: str
    action_label: str
    class_label: str
    changes: list = field(default_factory=list)


def _class_value(record, name):
    value = getattr(record, name)
    return ClassType(value).label if name == "class_type" and value in ClassType.values else value


def institution_class_history(*, institution) -> list[ClassChange]:
    """The recorded changes to ``institution``'s classes, newest first, in one query.

    Additions and removals list the class's figures; a change lists the fields that differ from the
    class's previous record (a save that changed nothing is left out). The caller has
    already checked that the user may see ``institution`` (``Institution.objects.visible_to``).
    """
    history = InstitutionClass.history.model
    records = (
        history.objects.filter(institution_id=institution.pk)
        .select_related("history_user")
        .order_by("id", "history_date", "history_id")
    )
    labels = {name: InstitutionClass._meta.get_field(name).verbose_name for name in CLASS_HISTORY_FIELDS}
    previous = {}
    rows = []
    for record in records:
        before = previous.get(record.id)
        previous[record.id] = record
        # An addition or removal names its class type in its own column; its figures are listed.
        if record.history_type == "-":
            changes = [(labels[n], _class_value(record, n), None) for n in CLASS_FIGURES]
        elif record.history_type == "+" or before is None:
            changes = [(labels[n], None, _class_value(record, n)) for n in CLASS_FIGURES]
        else:
            changes = [
                (labels[n], _class_value(before, n), _class_value(record, n))
                for n in CLASS_HISTORY_FIELDS
                if getattr(before, n) != getattr(record, n)
            ]
            if not changes:
                continue
        rows.append(
            ClassChange(
                when=record.history_date,
                user=record.history_user,
                action=record.history_type,
                action_label=record.get_history_type_display(),
                class_label=_class_value(record, "class_type"),
                changes=changes,
            )
        )
    rows.sort(key=lambda row: row.when, reverse=True)
    return rows


def registrations_awaiting_filing():
    """The health bureau's inbox (待备案登记): registrations whose push reached the platform's inbox.

    Each row is annotated with ``delivered_at``, when its inbox delivery was delivered;
    newest first. The registration, its institution and street are loaded.
    """
    inbox = PushDelivery.objects.filter(
        subject_type=ContentType.objects.get_for_model(Registration),
        subject_id=OuterRef("pk"),
        topic=REGISTRATION_TOPIC,
        channel=Channel.INBOX,
        status=DeliveryStatus.DELIVERED,
    )
    return (
        InboxEntry.objects.filter(Exists(inbox))
        .annotate(delivered_at=Subquery(inbox.values("delivered_at")[:1]))
        .select_related("institution__street")
        .order_by("-delivered_at", "-pk")
    )
