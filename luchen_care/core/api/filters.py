import re
from copy import deepcopy

import django_filters
from django import forms
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_filters import rest_framework as drf_filters
from drf_spectacular.utils import extend_schema_field
from rest_framework import filters
from rest_framework.exceptions import ValidationError

_TRUE, _FALSE = {"true", "1"}, {"false", "0"}


class StrictBooleanField(forms.Field):
    """true/false or 1/0 in any case; anything else is an error, not "no filter"."""

    widget = forms.TextInput
    default_error_messages = {"invalid": gettext_lazy("Enter true or false (or 1 or 0).")}

    def to_python(self, value):
        if value is None or value == "":
            return None
        text = str(value).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise forms.ValidationError(self.error_messages["invalid"], code="invalid")

    def validate(self, value):
        pass  # None means the parameter was not given


class StrictBooleanFilter(django_filters.BooleanFilter):
    """A boolean filter whose invalid values are a 400 naming the parameter (django-filter ignores them)."""

    field_class = StrictBooleanField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", forms.TextInput)
        super().__init__(*args, **kwargs)


class FilterSet(drf_filters.FilterSet):
    """The API's filter sets: boolean filters generated from ``Meta.fields`` are strict too."""

    FILTER_DEFAULTS = deepcopy(drf_filters.FilterSet.FILTER_DEFAULTS)
    FILTER_DEFAULTS[models.BooleanField] = {"filter_class": StrictBooleanFilter}

    def __init__(self, data=None, *args, **kwargs):
        if hasattr(data, "getlist"):
            # An empty value is "not given" for every filter (the schema says allowEmptyValue), a
            # multiple-choice one included, which would otherwise refuse "" as a choice.
            data = data.copy()
            for key in list(data.keys()):
                data.setlist(key, [value for value in data.getlist(key) if value != ""])
        super().__init__(data, *args, **kwargs)


class StrictOrderingFilter(filters.OrderingFilter):
    """DRF's ordering filter, but an unknown field is a 400 naming ``ordering`` instead of being ignored."""

    def get_ordering(self, request, queryset, view):
        params = request.query_params.get(self.ordering_param)
        if params:
            terms = [term.strip() for term in params.split(",") if term.strip()]
            allowed = {name for name, _label in self.get_valid_fields(queryset, view, {"request": request})}
            unknown = [term for term in terms if term.lstrip("-") not in allowed]
            if unknown:
                raise ValidationError(
                    {
                        self.ordering_param: [
                            _("Cannot order by %(terms)s; choose from: %(allowed)s.")
                            % {"terms": ", ".join(unknown), "allowed": ", ".join(sorted(allowed))}
                        ]
                    }
                )
        return super().get_ordering(request, queryset, view)

    def get_schema_operation_parameters(self, view):
        # The terms get_ordering accepts, as a pattern: a client (or schemathesis) can tell a valid ordering.
        parameters = super().get_schema_operation_parameters(view)
        fields = getattr(view, "ordering_fields", None)
        if isinstance(fields, list | tuple) and fields:
            term = "-?(" + "|".join(re.escape(name) for name in fields) + ")"
            for parameter in parameters:
                parameter["schema"]["pattern"] = f"^{term}(,{term})*$"
                parameter["description"] = (
                    f"{parameter.get('description', '')} One or more of: {', '.join(fields)}, "
                    "comma-separated; a leading - reverses."
                ).strip()
        return parameters


# The largest id a PostgreSQL bigint holds: a filter on an id refuses anything beyond it.
MAX_ID = 2**63 - 1


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": MAX_ID})
class IdFilter(django_filters.NumberFilter):
    """A filter on a record's id: a whole number from 1, documented as such (a NumberFilter is a
    decimal, which the schema would call any number while the filter refuses 1.5 or 1e60)."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)
