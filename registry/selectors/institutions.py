"""Reads of institutions. Scoping always goes through ``Institution.objects.visible_to``."""

import datetime
from dataclasses import dataclass, field

from django.db import connections
from django.db.models import BooleanField, Count, F, Func, Prefetch, TextField, Value
from django.utils import timezone

from luchen_care.core.history import EMPTY, HistoryFormatter
from luchen_care.core.masking import masked

from ..models import Institution, InstitutionClass

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


class _Pairs(Func):
    # The PostgreSQL functions of migration 0019: the set of upper-cased character pairs of a term
    # (``registry_term_grams``) or of an institution's name, credit code and address together
    # (``registry_institution_grams``, the expression of the GIN index ``registry_inst_grams_idx``).
    # An array, only ever compared in SQL: its output field is never converted.
    output_field = TextField()


class _HoldsAll(Func):
    arg_joiner = " @> "
    template = "(%(expressions)s)"
    output_field = BooleanField()


def institution_search_narrowed(queryset, terms):
    """``queryset``, already searched for ``terms`` (``icontains`` on some of name, credit code and
    address), narrowed first by the search index on PostgreSQL.

    For each term of two characters or more: the institution's name, credit code and address together
    hold every pair of the term's characters, case aside. Every row whose field contains the term
    holds them, so no result changes; the index answers this condition, and PostgreSQL checks
    ``icontains`` on those rows only instead of on every row of the scope (both the count and the
    page). A one-character term has no pair and is left to ``icontains``. Elsewhere (SQLite, the
    embedded default) ``queryset`` is returned as it is. The API's and the admin's search both call it.
    """
    if connections[queryset.db].vendor != "postgresql":
        return queryset
    for term in terms:
        if len(term) >= 2:
            queryset = queryset.filter(
                _HoldsAll(
                    _Pairs(F("name"), F("credit_code"), F("address"), function="registry_institution_grams"),
                    _Pairs(Value(term), function="registry_term_grams"),
                )
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


# What a list row reads (``.values_list()``, in this order): the institution's own columns and its
# street's code and name.
INSTITUTION_ROW_FIELDS = (
    "id", "name", "credit_code", "kind", "ownership", "for_profit", "inclusive", "registration_authority",
    "street__code", "street__name", "address", "legal_representative", "contact_phone", "approved_places",
    "head_office_id", "demonstration_level", "livelihood_project", "status", "registered_on", "filed_on",
    "operating_since", "suspended_on", "closed_on", "archived", "created_at", "modified_at",
)  # fmt: skip


def _iso_datetime(value, tz):
    # As DRF's DateTimeField writes it: in the current time zone, ISO 8601, UTC as "Z".
    if not value:
        return None
    text = value.astimezone(tz).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


@dataclass
class InstitutionPage:
    """A page of the institutions list as rows (``institution_list_rows``), and the ids of the
    counties its institutions lie in (read with the rows, for the access log)."""

    rows: list
    counties: set


def institution_list_rows(*, user, queryset=None):
    """The rows of ``institution_page``: see there."""
    return institution_page(user=user, queryset=queryset).rows


def institution_page(*, user, queryset=None) -> InstitutionPage:
    """Institutions as the list API shows them: one dict per institution, ready for JSON.

    ``queryset`` is a page of ``institution_list(user=user)``: filtered, ordered and sliced, but
    not yet read (the list view's paginator hands it over); without it, everything ``user`` may
    see. It is read as plain rows (``.values_list()``, one query) and the page's classes in one
    more query (``institution_class_rows``); no model instance is built.

    Each row has ``InstitutionSerializer``'s keys, in its order, and its formats: choices as
    stored, the street as its code with ``street_name``, the head office as its id, ISO 8601
    dates, timestamps in the current time zone as DRF writes them, and ``classes`` in class-type
    order. The serializer still documents this answer; ``tests/registry/test_list_rows.py``
    checks, for every role and API grant, that both give the same output, so a field masked for
    a role must be masked here too.
    """
    if queryset is None:
        queryset = institution_list(user=user, with_classes=False)
    rows = list(queryset.prefetch_related(None).values_list(*INSTITUTION_ROW_FIELDS, "street__county_id"))
    classes = institution_class_rows([row[0] for row in rows])
    tz = timezone.get_current_timezone()
    shown = [
        masked(
            {
                "id": pk,
                "name": name,
                "credit_code": credit_code,
                "kind": kind,
                "ownership": ownership,
                "for_profit": for_profit,
                "inclusive": inclusive,
                "registration_authority": registration_authority,
                "street": street_code,
                "street_name": street_name,
                "address": address,
                "legal_representative": legal_representative,
                "contact_phone": contact_phone,
                "approved_places": approved_places,
                "head_office": head_office_id,
                "demonstration_level": demonstration_level,
                "livelihood_project": livelihood_project,
                "status": status,
                "registered_on": registered_on.isoformat() if registered_on else None,
                "filed_on": filed_on.isoformat() if filed_on else None,
                "operating_since": operating_since.isoformat() if operating_since else None,
                "suspended_on": suspended_on.isoformat() if suspended_on else None,
                "closed_on": closed_on.isoformat() if closed_on else None,
                "archived": archived,
                "classes": classes[pk],
                "created_at": _iso_datetime(created_at, tz),
                "modified_at": _iso_datetime(modified_at, tz),
            },
            user,
        )
        for (
            pk,
            name,
            credit_code,
            kind,
            ownership,
            for_profit,
            inclusive,
            registration_authority,
            street_code,
            street_name,
            address,
            legal_representative,
            contact_phone,
            approved_places,
            head_office_id,
            demonstration_level,
            livelihood_project,
            status,
            registered_on,
            filed_on,
            operating_since,
            suspended_on,
            closed_on,
            archived,
            created_at,
            modified_at,
            _county_id,
        ) in rows  # fmt: skip
    ]
    return InstitutionPage(rows=shown, counties={row[-1] for row in rows})


@dataclass
class ExportSummary:
    """What an export of institutions held: how many rows, of which counties, and (when few) which."""

    count: int
    counties: list
    records: list  # (id, name) pairs, when ``count`` is at most ``EXPORT_RECORDS_LISTED``


EXPORT_RECORDS_LISTED = 100


def institution_export_summary(*, queryset) -> ExportSummary:
    """The summary of an export of ``queryset`` (already scoped and filtered) for the access log:
    its row count and counties in one query, and its records' ids and names in one more when few."""
    by_county = dict(
        queryset.order_by().values("street__county_id").annotate(n=Count("pk")).values_list("street__county_id", "n")
    )
    count = sum(by_county.values())
    records = list(queryset.values_list("pk", "name")) if count <= EXPORT_RECORDS_LISTED else []
    return ExportSummary(count=count, counties=list(by_county), records=records)


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
    holds ``(field label, old, new)`` as ``luchen_care.core.history`` shows them (choice labels,
    an em dash for nothing: the old value of an addition, the new value of a removal).
    """

    when: datetime.datetime
    user: object
    action: str
    action_label: str
    class_label: str
    changes: list = field(default_factory=list)


def institution_class_history(*, institution, viewer=None) -> list[ClassChange]:
    """The recorded changes to ``institution``'s classes, newest first, in one query, as ``viewer`` reads them.

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
    shown = HistoryFormatter(InstitutionClass, viewer)
    previous = {}
    rows = []
    for record in records:
        before = previous.get(record.id)
        previous[record.id] = record
        # An addition or removal names its class type in its own column; its figures are listed.
        if record.history_type == "-":
            changes = [(shown.label(n), shown.record_value(record, n), EMPTY) for n in CLASS_FIGURES]
        elif record.history_type == "+" or before is None:
            changes = [(shown.label(n), EMPTY, shown.record_value(record, n)) for n in CLASS_FIGURES]
        else:
            changes = [
                (shown.label(n), shown.record_value(before, n), shown.record_value(record, n))
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
                class_label=shown.record_value(record, "class_type"),
                changes=changes,
            )
        )
    rows.sort(key=lambda row: row.when, reverse=True)
    return rows
