"""A record's one input declaration (a Django form) as the API's request body.

``form_serializer(Form, name)`` documents the form's fields as a DRF serializer (drf-spectacular
reads it for the schema); ``form_input(Form, data)`` takes a request body to the form's fields,
refusing what is not a JSON object of plain values. The form itself validates, in the service:
its errors, keyed by field, reach the caller in the API's error format (``errors.py``).
"""

from collections.abc import Mapping

from django import forms
from django.utils.translation import gettext as _
from rest_framework import serializers


def _serializer_field(field: forms.Field):
    common = {"required": field.required, "help_text": field.help_text or None}
    if isinstance(field, forms.ModelChoiceField):
        return serializers.CharField(**common)
    if isinstance(field, forms.ChoiceField):
        return serializers.ChoiceField(choices=list(field.choices), **common)
    if isinstance(field, forms.DateField):
        return serializers.DateField(**common)
    if isinstance(field, forms.IntegerField):
        return serializers.IntegerField(**common)
    if isinstance(field, forms.CharField):
        return serializers.CharField(
            max_length=field.max_length,
            allow_blank=not field.required,
            **({"default": ""} if not field.required else {}),
            **{k: v for k, v in common.items() if not (k == "required" and not field.required)},
        )
    raise TypeError(f"no API field for {type(field).__name__}")


def form_serializer(form_class, name):
    """A serializer class named ``name`` whose fields document ``form_class``'s (for the schema only)."""
    attrs = {field_name: _serializer_field(field) for field_name, field in form_class.base_fields.items()}
    attrs["__doc__"] = form_class.__doc__
    return type(name, (serializers.Serializer,), attrs)


def _takes_boolean(field) -> bool:
    """A boolean field, or a yes/no choice of True and False (a radio's ``TypedChoiceField``)."""
    if isinstance(field, forms.BooleanField | forms.NullBooleanField):
        return True
    if isinstance(field, forms.ChoiceField):
        keys = {key for key, _label in field.choices if isinstance(key, bool)}
        return keys == {True, False}
    return False


def form_input(form_class, data) -> dict:
    """The request body ``data`` as the form's fields (others are ignored).

    ``form_class`` is a form class, or a form instance for a form that adds fields as it is made.
    Whole numbers are passed as the text JSON wrote (a form field reads text); true/false only to
    a boolean field (a yes/no choice gets "True"/"False", as its radio posts), and a decimal number
    only to a decimal or float field. Raises a
    DRF ``ValidationError`` for a body that is not a JSON object, and, keyed by field, for a value
    that is a list or an object where the form takes one plain value.
    """
    if not isinstance(data, Mapping):
        raise serializers.ValidationError({"non_field_errors": [_("Send the fields as one JSON object.")]})
    fields = form_class.fields if isinstance(form_class, forms.BaseForm) else form_class.base_fields
    values, errors = {}, {}
    for name, field in fields.items():
        if name not in data:
            continue
        value = data[name]
        if isinstance(value, list | dict):
            errors[name] = [_("Send one value, not a list or an object.")]
        elif isinstance(value, bool):
            if isinstance(field, forms.BooleanField | forms.NullBooleanField):
                values[name] = value
            elif _takes_boolean(field):
                values[name] = str(value)
            else:
                errors[name] = [_("Send text here, not true or false.")]
        elif isinstance(value, float):
            if isinstance(field, forms.DecimalField | forms.FloatField):
                values[name] = str(value)
            else:  # a code or a number of things is never a fraction, and 1e308 is no registration number
                errors[name] = [_("Send text or a whole number here, not a decimal number.")]
        elif isinstance(value, int):
            values[name] = str(value)  # a code sent as a number, as JSON wrote it: a form field reads text
        else:
            values[name] = value
    if errors:
        raise serializers.ValidationError(errors)
    return values
