"""The input of an institution recorded with its filing (机构备案录入): ``InstitutionOnboardingForm``.

The county health bureau records, once, each institution that filed on paper before the
platform: the institution as registered, and the lifecycle it has reached (filed, or filed and
operating), with the dates and the filing receipt's reference. Each row of the onboarding
import (``registry.onboarding``) is validated with it. Its rules:

- the institution's own fields as the model declares them (lengths, choices, the credit code's
  check character, the phone), validated by the model itself (``full_clean``);
- ``street``: a street or town of the actor's county, by its name or its NBS code; any other is
  refused as not in the county;
- ``credit_code``: not already in the registry (the import only adds institutions; one that
  is recorded is changed on its own page);
- ``registered_on`` ≤ ``filed_on`` ≤ ``operating_since`` ≤ today; filing dates from the 2019
  national rules; ``document_reference`` is required; ``operating_since`` is given exactly
  when the status reached is "operating".

What checking reads (the actor's streets, the credit codes already recorded) comes from
``lookups``: by default a query each (``OnboardingLookups``); ``OnboardingLookups.for_rows``
reads a whole file's at once, so a row costs no query.
"""

from collections import Counter
from collections.abc import Mapping

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from luchen_care.core.messages import NULL_CHARACTERS

from ..models import Institution, InstitutionStatus, Street
from ..selectors.streets import streets_for
from ..validators import normalize_credit_code
from .registrations import EARLIEST_REGISTERED_ON

# The institution's own input, in the order of the import template.
INSTITUTION_FIELDS = (
    "credit_code",
    "name",
    "kind",
    "ownership",
    "for_profit",
    "inclusive",
    "registration_authority",
    "street",
    "address",
    "legal_representative",
    "contact_phone",
    "approved_places",
    "registered_on",
)
# The lifecycle it has reached, recorded by the lifecycle steps once the institution exists.
LIFECYCLE_INPUT = ("status", "filed_on", "document_reference", "operating_since")
REACHED = (InstitutionStatus.FILED, InstitutionStatus.OPERATING)
DATE_FORMATS = ["%Y-%m-%d", "%Y/%m/%d"]


class OnboardingLookups:
    """What checking an onboarded institution reads. This one queries at each call; ``for_rows``
    reads what a whole file needs in two queries and answers from memory.

    Streets are those ``actor`` sees (its county's), by NBS code or by name. Credit codes are
    looked up across counties: a code recorded anywhere cannot be added again.
    """

    def __init__(self, actor=None):
        self.actor = actor

    def streets(self):
        return streets_for(self.actor)

    def street(self, text):
        by_code = self.streets().filter(code=text).first()
        if by_code is not None:
            return by_code
        named = list(self.streets().filter(name=text)[:2])
        return named[0] if len(named) == 1 else None  # a name two counties share is given by its code

    def recorded(self, credit_code):
        return Institution.objects.filter(credit_code=credit_code).exists()

    @classmethod
    def for_rows(cls, rows, actor=None):
        """The lookups of every row in ``rows`` (dicts of the form's input), read once."""
        codes = {normalize_credit_code(str(row.get("credit_code") or "")) for row in rows} - {""}
        streets = list(cls(actor).streets())
        names = Counter(s.name for s in streets)
        return PrefetchedOnboardingLookups(
            # A name two counties share (a superuser sees both) is given by its code.
            streets={**{s.name: s for s in streets if names[s.name] == 1}, **{s.code: s for s in streets}},
            recorded=set(Institution.objects.filter(credit_code__in=codes).values_list("credit_code", flat=True)),
        )


class PrefetchedOnboardingLookups(OnboardingLookups):
    def __init__(self, *, streets, recorded):
        self._streets, self._recorded = streets, recorded

    def street(self, text):
        return self._streets.get(text)

    def recorded(self, credit_code):
        return credit_code in self._recorded


class CountyStreetField(forms.Field):
    """A street or town of the actor's county, by name or NBS code; read from the form's lookups."""

    default_error_messages = {"invalid_choice": gettext_lazy("This street or town is not in your county.")}
    lookups = None

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, Street):
            return value
        text = str(value).strip()
        if "\x00" in text:  # never sent to the database: PostgreSQL refuses a NUL in a string
            raise ValidationError(NULL_CHARACTERS, code="null_characters_not_allowed")
        street = (self.lookups or OnboardingLookups()).street(text)
        if street is None:
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return street


def yes_no(name):
    """A yes/no model field as a required choice: an unreadable answer is refused, never taken as yes."""
    return forms.TypedChoiceField(
        label=Institution._meta.get_field(name).verbose_name,
        choices=[("true", gettext_lazy("Yes")), ("false", gettext_lazy("No"))],
        coerce=lambda value: value == "true",
    )


class InstitutionOnboardingForm(forms.ModelForm):
    """An institution that filed on paper, and the lifecycle it has reached (module docstring).

    ``cleaned_data`` holds the institution's fields as ``institution_create`` takes them
    (``street`` the ``Street``, ``credit_code`` normalized) and the lifecycle input: ``status``
    (filed or operating), ``filed_on``, ``document_reference`` and ``operating_since``.
    """

    # Declared here, not by the model: resolved from the lookups (the model's check would query).
    street = CountyStreetField(label=Institution._meta.get_field("street").verbose_name)
    for_profit = yes_no("for_profit")
    inclusive = yes_no("inclusive")
    status = forms.ChoiceField(
        label=gettext_lazy("status reached"),
        choices=[(status.value, status.label) for status in REACHED],
    )
    filed_on = forms.DateField(
        label=gettext_lazy("filed on"),
        input_formats=DATE_FORMATS,
        error_messages={"invalid": gettext_lazy("Enter the date of filing as YYYY-MM-DD.")},
    )
    document_reference = forms.CharField(
        label=gettext_lazy("filing document reference"),
        max_length=100,
        help_text=gettext_lazy("The reference of the filing receipt (备案回执) or the filing document."),
    )
    operating_since = forms.DateField(
        label=gettext_lazy("operating since"),
        input_formats=DATE_FORMATS,
        required=False,
        error_messages={"invalid": gettext_lazy("Enter the date operations started as YYYY-MM-DD.")},
    )

    class Meta:
        model = Institution
        # ``street``, ``for_profit`` and ``inclusive`` are declared above, so left out of the model's check.
        fields = [name for name in INSTITUTION_FIELDS if name not in ("street", "for_profit", "inclusive")]

    def __init__(self, data=None, *args, actor=None, lookups=None, **kwargs):
        if data is not None and not isinstance(data, Mapping):
            raise TypeError("an institution's input is a mapping of its fields")
        super().__init__(data, *args, **kwargs)
        self.actor = actor
        self.lookups = lookups or OnboardingLookups(actor)
        self.fields["street"].lookups = self.lookups
        # Filed institutions have been registered, and the bureau has their phone.
        for name in ("registered_on", "contact_phone"):
            self.fields[name].required = True
        self.fields["registered_on"].input_formats = DATE_FORMATS

    def clean_credit_code(self):
        code = normalize_credit_code(self.cleaned_data["credit_code"])
        if code and self.lookups.recorded(code):
            raise ValidationError(
                _(
                    "An institution with this credit code is already recorded; this import only adds "
                    "institutions not yet in the registry. Change it on its own page, or leave this row out."
                )
            )
        return code

    def clean_registered_on(self):
        day = self.cleaned_data["registered_on"]
        if day > timezone.localdate():
            raise ValidationError(_("The date of registration cannot be in the future."))
        return day

    def clean_filed_on(self):
        day = self.cleaned_data["filed_on"]
        if day > timezone.localdate():
            raise ValidationError(_("The date of filing cannot be in the future."))
        if day < EARLIEST_REGISTERED_ON:
            raise ValidationError(
                _(
                    "The date of filing cannot be before %(earliest)s: the national registration and "
                    "filing rules for childcare institutions date from 2019."
                )
                % {"earliest": EARLIEST_REGISTERED_ON.isoformat()}
            )
        return day

    def clean_document_reference(self):
        reference = self.cleaned_data["document_reference"].strip()
        if not reference:
            raise ValidationError(self.fields["document_reference"].error_messages["required"], code="required")
        return reference

    def clean_operating_since(self):
        day = self.cleaned_data["operating_since"]
        if day is not None and day > timezone.localdate():
            raise ValidationError(_("The date operations started cannot be in the future."))
        return day

    def clean(self):
        cleaned = super().clean()
        street = cleaned.get("street")
        if isinstance(street, Street):
            self.instance.street = street  # the model's other checks see it; it is not checked again
        registered_on, filed_on = cleaned.get("registered_on"), cleaned.get("filed_on")
        if registered_on and filed_on and filed_on < registered_on:
            self.add_error(
                "filed_on",
                _("The date of filing cannot be before the date of registration (%(date)s).")
                % {"date": registered_on.isoformat()},
            )
        status, operating_since = cleaned.get("status"), cleaned.get("operating_since")
        if status == InstitutionStatus.OPERATING and operating_since is None and "operating_since" not in self.errors:
            self.add_error(
                "operating_since", _("An operating institution needs the date it started operating (YYYY-MM-DD).")
            )
        if status == InstitutionStatus.FILED and operating_since is not None:
            self.add_error(
                "operating_since",
                _("Only an operating institution has this date: leave it empty, or give “operating” as the status."),
            )
        if filed_on and operating_since and operating_since < filed_on:
            self.add_error(
                "operating_since",
                _("The date operations started cannot be before the date of filing (%(date)s).")
                % {"date": filed_on.isoformat()},
            )
        return cleaned

    def validate_unique(self):
        # A recorded credit code is refused in ``clean_credit_code``, from the lookups (no query a row).
        pass
