"""A faster read side for model serializers, with exactly DRF's output.

DRF's ``Serializer.to_representation`` walks ``_readable_fields`` for every row and, for
every field, goes through ``Field.get_attribute`` (a generic resolver that handles
mappings, callables and missing attributes). On a 100-row page with 27 fields and
nested classes that machinery, not the database, is most of the request.

``FastReadMixin`` plans each serializer once: for a field whose ``source`` is a chain
of plain model fields or relations, it reads the attribute directly with
``operator.attrgetter`` and still calls the field's own ``to_representation``, so the
output is the same by construction. For a primary-key relation it reads the
``*_id`` column, as DRF's pk-only optimisation does. Anything else (methods,
properties, ``source="*"``, mappings, custom fields) takes DRF's generic path, and so
does any row where a direct read fails (a missing related object, a ``None`` along a
dotted source), so DRF keeps deciding defaults, ``SkipField`` and errors.

Plain ``dict`` rows (e.g. a list page's classes, read as values) get the same treatment:
``row[key]`` for a one-key source, then the field's ``to_representation``.
"""

import copy
from datetime import date, datetime
from operator import attrgetter

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist, ObjectDoesNotExist
from django.utils import timezone
from rest_framework import ISO_8601
from rest_framework.fields import (
    BooleanField,
    CharField,
    ChoiceField,
    DateField,
    DateTimeField,
    Field,
    IntegerField,
    SkipField,
)
from rest_framework.relations import PKOnlyObject, PrimaryKeyRelatedField, RelatedField
from rest_framework.serializers import ListSerializer
from rest_framework.settings import api_settings

_DIRECT = object()  # plan marker: read with a getter, then field.to_representation
_PK = object()  # plan marker: read the foreign key column, no conversion
_DATETIME = object()  # plan marker: an aware datetime in ISO 8601, in the current time zone
_GENERIC = object()  # plan marker: DRF's own Field.get_attribute and to_representation
# Fields whose get_attribute is one of these read exactly what attrgetter(source) reads.
_PLAIN_GET_ATTRIBUTE = (Field.get_attribute, RelatedField.get_attribute)


def _generic(field, instance, ret):
    """DRF's own per-field step from ``Serializer.to_representation``."""
    try:
        attribute = field.get_attribute(instance)
    except SkipField:
        return
    check_for_none = attribute.pk if isinstance(attribute, PKOnlyObject) else attribute
    ret[field.field_name] = None if check_for_none is None else field.to_representation(attribute)


def _converter(field):
    """``field.to_representation``, or a shortcut that gives the same result for the values a model row holds."""
    kind = type(field)
    if kind is CharField:
        return str  # CharField.to_representation is str(value)
    if kind is IntegerField:
        return int  # IntegerField.to_representation is int(value)
    represent = field.to_representation
    if kind is BooleanField:
        return lambda value: value if value is True or value is False else represent(value)
    if kind is ChoiceField:
        choices = field.choice_strings_to_values
        return lambda value: (choices.get(value, value) if value else value) if type(value) is str else represent(value)
    if kind is DateField and str(getattr(field, "format", api_settings.DATE_FORMAT)).lower() == ISO_8601:
        return lambda value: value.isoformat() if type(value) is date else represent(value)
    return represent


def _model_path(model, source_attrs):
    """The model fields along ``source_attrs``, or ``None`` if any hop is not a model field."""
    path = []
    for attr in source_attrs:
        if model is None:
            return None
        try:
            model_field = model._meta.get_field(attr)
        except FieldDoesNotExist:
            return None
        if model_field.name != attr:  # reached through something other than its own name
            return None
        path.append(model_field)
        model = model_field.related_model if model_field.is_relation else None
    return path


class FastReadMixin:
    """Mix into a ``ModelSerializer`` to serialize its model's instances without per-row overhead."""

    def get_fields(self):
        """``ModelSerializer.get_fields()``, built from the model once per class and copied after that.

        DRF rebuilds every model field, introspecting the model, for each serializer instance,
        which is to say each request. The copies are what DRF itself makes of declared fields
        (``copy.deepcopy``: fresh, unbound instances from the same arguments), so a subclass may
        still adjust its own copy, e.g. a queryset that depends on the request. This assumes, as
        ``ModelSerializer`` does by default, that building the fields does not depend on the
        instance (its context, its data).
        """
        cls = type(self)
        prototype = cls.__dict__.get("_fast_fields_prototype")
        if prototype is None:
            prototype = super().get_fields()
            cls._fast_fields_prototype = prototype
        return copy.deepcopy(prototype)

    def _read_plan(self):
        """One ``(how, name, get, field, convert)`` per readable field, built once per serializer."""
        plan = self.__dict__.get("_fast_read_plan")
        if plan is not None:
            return plan
        plan = []
        model = self.Meta.model
        for field in self._readable_fields:
            name = field.field_name
            path = _model_path(model, field.source_attrs) if field.source_attrs else None
            last = path[-1] if path else None
            if not path or type(field).get_attribute not in _PLAIN_GET_ATTRIBUTE:
                plan.append((_GENERIC, name, None, field, None))
            elif type(field) is PrimaryKeyRelatedField and field.pk_field is None and len(path) == 1 and last.concrete:
                plan.append((_PK, name, attrgetter(last.attname), field, None))
            elif (
                type(field) is DateTimeField
                and not hasattr(field, "timezone")
                and str(getattr(field, "format", api_settings.DATETIME_FORMAT)).lower() == ISO_8601
                and settings.USE_TZ
                and len(path) == 1
            ):
                plan.append((_DATETIME, name, attrgetter(last.attname), field, field.to_representation))
            elif isinstance(field, RelatedField) and field.use_pk_only_optimization():
                plan.append((_GENERIC, name, None, field, None))  # e.g. hyperlinks: DRF hands them a pk-only object
            elif any(f.many_to_many or f.one_to_many for f in path[:-1]):
                plan.append((_GENERIC, name, None, field, None))
            elif (last.many_to_many or last.one_to_many) and not isinstance(field, ListSerializer):
                plan.append((_GENERIC, name, None, field, None))
            else:
                plan.append((_DIRECT, name, attrgetter(".".join(field.source_attrs)), field, _converter(field)))
        self._fast_read_plan = plan
        return plan

    def _dict_plan(self):
        """For plain dict rows: ``(name, key, field, convert)``, or ``(name, None, field, None)`` for DRF's path."""
        plan = self.__dict__.get("_fast_dict_plan")
        if plan is None:
            plan = self._fast_dict_plan = [
                (field.field_name, field.source_attrs[0], field, _converter(field))
                if len(field.source_attrs) == 1 and type(field).get_attribute is Field.get_attribute
                else (field.field_name, None, field, None)
                for field in self._readable_fields
            ]
        return plan

    def _dict_representation(self, row):
        """What DRF makes of a dict: ``row[key]``, then the field's ``to_representation``."""
        ret = {}
        for name, key, field, convert in self._dict_plan():
            if key is None:
                _generic(field, row, ret)
                continue
            try:
                value = row[key]
            except KeyError:
                _generic(field, row, ret)  # DRF decides: default, skip or error
                continue
            if callable(value):  # DRF calls simple callables; leave that to it
                _generic(field, row, ret)
            else:
                ret[name] = None if value is None else convert(value)
        return ret

    def to_representation(self, instance):
        if type(instance) is dict:
            return self._dict_representation(instance)
        if not isinstance(instance, self.Meta.model):
            return super().to_representation(instance)
        ret = {}
        plan = self._read_plan()
        # What DateTimeField.default_timezone() returns; looking it up is slow, and it is fixed for a request.
        tz = self.__dict__.get("_fast_read_tz")
        if tz is None:
            tz = self._fast_read_tz = timezone.get_current_timezone()
        for how, name, get, field, convert in plan:
            if how is _DIRECT:
                try:
                    value = get(instance)
                except (AttributeError, ObjectDoesNotExist):
                    _generic(field, instance, ret)
                    continue
                ret[name] = None if value is None else convert(value)
            elif how is _PK:
                ret[name] = get(instance)
            elif how is _DATETIME:
                value = get(instance)
                if value is None:
                    ret[name] = None
                elif type(value) is not datetime or value.utcoffset() is None:  # let DRF decide
                    ret[name] = convert(value)
                else:
                    value = value.astimezone(tz).isoformat()
                    ret[name] = value[:-6] + "Z" if value.endswith("+00:00") else value
            else:
                _generic(field, instance, ret)
        return ret
