"""One way to show a recorded change: the helper every history page uses.

django-simple-history keeps each save of a regulated record as a row; a page that lists them
shows, for each field that changed, its label and its old and new values as a person reads them:

- the field's verbose name, in the user's language;
- a choice's label, not its stored code (a model may name the choices of a list-valued field
  in ``history_choices``: an API client's granted institution kinds);
- a foreign key as its record's label, and only when the viewer may see that record
  (``visible_to``); otherwise a neutral placeholder, the same whether the record is out of
  scope or gone, so a history page never names another scope's record;
- many-to-many values as their records' labels, under the same rule;
- yes/no for booleans; dates as YYYY-MM-DD and times in Asia/Shanghai as YYYY-MM-DD HH:mm:ss;
- personal fields masked for a viewer without the grant (``luchen_care.core.masking``);
- an em dash for nothing.

``HistoryFormatter(viewer)`` does it; ``ScopedHistoryAdmin`` (history list and version pages)
and the registry's class history use it, so every history page reads the same.
"""

import datetime
import json
import zoneinfo
from dataclasses import dataclass

from django.conf import settings
from django.db import models
from django.utils.formats import date_format
from django.utils.text import capfirst
from django.utils.translation import gettext, gettext_lazy
from simple_history.template_utils import ObjDiffDisplay
from simple_history.utils import get_m2m_field_name, get_m2m_reverse_field_name

from .masking import MASKS, reads_personal_data

EMPTY = "—"
#: Shown instead of a related record the viewer may not see (or that no longer exists).
HIDDEN = gettext_lazy("(not shown)")
#: Long values (a payload, a response body) are shortened around their first difference.
MAX_CHARS = 100


@dataclass(frozen=True)
class HistoryChange:
    """One changed field of a recorded change, ready to show: ``field: old → new``."""

    name: str
    field: str
    old: str
    new: str


class HistoryFormatter:
    """Turns recorded values of ``model`` into what ``viewer`` reads (see the module)."""

    def __init__(self, model, viewer):
        self.model = model
        self.viewer = viewer
        self._labels = {}  # (model, pk) -> label, or HIDDEN
        self._personal = reads_personal_data(viewer)

    # --- one field -------------------------------------------------------------------------

    def label(self, name) -> str:
        """The field's verbose name, capitalised, in the active language."""
        return str(capfirst(self.model._meta.get_field(name).verbose_name))

    def value(self, name, value) -> str:
        """The stored ``value`` of field ``name`` as text (a FK given by its id, an m2m by its ids)."""
        field = self.model._meta.get_field(name)
        if value is None or value == "" or value == []:
            return EMPTY
        if field.many_to_many:
            return self._related_labels(field.related_model, value)
        if field.many_to_one or field.one_to_one:
            return self._related_labels(field.related_model, [value])
        if name in MASKS and not self._personal:
            return MASKS[name](str(value))
        choices = self._choices(field)
        if choices is not None:
            if isinstance(value, list):
                return ", ".join(str(choices.get(item, item)) for item in value)
            return str(choices.get(value, value))
        if isinstance(value, bool):
            return gettext("Yes") if value else gettext("No")
        if isinstance(value, datetime.datetime):
            if settings.USE_TZ and value.tzinfo is not None:
                value = value.astimezone(zoneinfo.ZoneInfo(settings.TIME_ZONE))
            return date_format(value, "DATETIME_FORMAT")
        if isinstance(value, datetime.date):
            return date_format(value, "DATE_FORMAT")
        if isinstance(value, datetime.time):
            return date_format(value, "TIME_FORMAT")
        if isinstance(value, (dict, list)):
            return json.dumps(value, ensure_ascii=False, sort_keys=True)
        return str(value)

    def record_value(self, record, name) -> str:
        """Field ``name`` of a historical ``record`` (or of a live instance) as text."""
        field = self.model._meta.get_field(name)
        if field.many_to_many:
            return self.value(name, self._m2m_ids(record, field))
        return self.value(name, getattr(record, field.attname))

    def _choices(self, field):
        if field.choices:
            return dict(field.flatchoices)
        named = getattr(self.model, "history_choices", {}).get(field.name)
        return dict(named()) if named else None

    def _m2m_ids(self, record, field):
        history = getattr(record, "_history", record)  # a version's instance carries its record
        rows = getattr(history, field.name, None)
        if rows is None or not hasattr(rows, "values_list"):
            return []
        if isinstance(history, models.Model) and hasattr(history, "history_id"):
            return list(rows.values_list(get_m2m_reverse_field_name(field), flat=True))
        return list(rows.values_list("pk", flat=True))

    def _related_labels(self, related_model, pks) -> str:
        pks = [pk.pk if isinstance(pk, models.Model) else pk for pk in pks]
        missing = [pk for pk in pks if (related_model, pk) not in self._labels]
        if missing:
            manager = related_model._default_manager
            queryset = manager.all()
            if hasattr(queryset, "visible_to"):
                queryset = queryset.visible_to(self.viewer)
            found = {obj.pk: str(obj) for obj in queryset.filter(pk__in=missing)}
            for pk in missing:
                self._labels[related_model, pk] = found.get(pk, HIDDEN)
        labels = sorted(str(self._labels[related_model, pk]) for pk in pks)
        return ", ".join(labels) if labels else EMPTY

    # --- one recorded change ---------------------------------------------------------------

    def changes(self, new_record, old_record) -> list[HistoryChange]:
        """The fields that differ between two historical records of one object, in model order."""
        delta = new_record.diff_against(old_record, foreign_keys_are_objs=False)
        order = {field.name: index for index, field in enumerate(self.model._meta.get_fields())}
        shorten = ObjDiffDisplay(max_length=MAX_CHARS).common_shorten_repr
        rows = []
        for change in sorted(delta.changes, key=lambda c: order.get(c.field, len(order))):
            field = self.model._meta.get_field(change.field)
            old, new = change.old, change.new
            if field.many_to_many:
                key = get_m2m_reverse_field_name(field)
                old, new = [row[key] for row in old or []], [row[key] for row in new or []]
            old_text, new_text = self.value(change.field, old), self.value(change.field, new)
            if old_text == new_text:
                continue  # reads the same (a time's microseconds, dropped by the admin's form)
            old_text, new_text = shorten(old_text, new_text)
            rows.append(HistoryChange(change.field, self.label(change.field), old_text, new_text))
        return rows


def history_rows(*, model, records, viewer, columns=()):
    """``records`` (historical records of one object, newest first: a page of them) with what a
    page shows on each: ``record.history_delta_changes`` (the changes from the record before it,
    a list of ``HistoryChange``; empty for the object's first) and ``record.history_columns`` (the
    display value of each of ``columns``: fields of ``model``, or attributes the admin set).
    Returns the records as a list."""
    formatter = HistoryFormatter(model, viewer)
    field_names = {field.name for field in model._meta.get_fields()}
    records = list(records)
    for index, record in enumerate(records):
        # The last of a page is compared with the record before it, on the next page.
        older = records[index + 1] if index + 1 < len(records) else record.prev_record
        record.history_delta_changes = formatter.changes(record, older) if older is not None else []
        record.history_columns = [
            formatter.record_value(record, name) if name in field_names else getattr(record, name, EMPTY)
            for name in columns
        ]
    return records


# --- writing: one change, one row ----------------------------------------------------------


def history_save(instance, *, m2m=None):
    """Save ``instance`` and set its many-to-many fields (``m2m``: name → records, ``None`` to
    leave one alone), keeping one history row for the whole change, and none when nothing changed.

    simple-history writes a row on the save (with the many-to-many values from before) and another
    on each many-to-many ``set``, so one admin save of an account showed as an empty change and a
    second one. Here the row is written once, with the new many-to-many values.
    """
    m2m = {name: list(values) for name, values in (m2m or {}).items() if values is not None}
    history_model = getattr(type(instance), instance._meta.simple_history_manager_attribute).model
    if instance._state.adding:
        instance.save()  # its "created" row
        _set_without_history(instance, m2m)
        _snapshot_m2m(instance.history.latest(), instance)
        return instance
    if not _has_changes(instance, history_model, m2m):
        return instance  # nothing to write, and no empty row
    _set_without_history(instance, m2m)
    instance.save()  # one "changed" row, with the new many-to-many values
    return instance


def _set_without_history(instance, m2m):
    instance.skip_history_when_saving = True
    try:
        for name, values in m2m.items():
            getattr(instance, name).set(values)
    finally:
        del instance.skip_history_when_saving


def _has_changes(instance, history_model, m2m):
    model = type(instance)
    names = [field.attname for field in history_model.tracked_fields]
    stored = model._default_manager.filter(pk=instance.pk).values(*names).first()
    if stored is None or any(stored[name] != getattr(instance, name) for name in names):
        return True
    for name, values in m2m.items():
        current = set(getattr(instance, name).values_list("pk", flat=True))
        if current != {value.pk if isinstance(value, models.Model) else value for value in values}:
            return True
    return False


def _snapshot_m2m(record, instance):
    """Write ``instance``'s current many-to-many rows onto its historical ``record``, replacing any."""
    for field in record._history_m2m_fields:
        rows_model = getattr(type(record), field.name).model
        rows_model._default_manager.filter(history=record).delete()
        through = getattr(instance, field.name).through
        source = get_m2m_field_name(field)
        names = [f.name for f in through._meta.fields]
        rows_model._default_manager.bulk_create(
            rows_model(history=record, **{name: getattr(row, name) for name in names})
            for row in through._default_manager.filter(**{source: instance})
        )
