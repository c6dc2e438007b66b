"""The one declaration of a registration's input (登记): ``RegistrationForm``.

The admin's add page shows it, ``POST /api/v1/registrations/`` is documented from it and its
body validated by it, each row of the Excel import is validated by it, and
``registration_record`` validates its arguments with it: one set of fields, rules and messages,
keyed by field, in the user's language. Its rules:

- every field as declared (required, lengths, choices, an ISO date, a well-formed credit code,
  a street or town of the actor's county by its NBS code);
- ``authority``: an authority records only its own registrations (the bureau any);
- ``registered_on``: not in the future, not before 2019, and a push window in force on it;
- the guard between authorities, on ``credit_code`` (``registration_mismatches``), and the
  health bureau's ``correction_reason``, which nobody else may give;
- a deregistration needs a known institution; a change cannot apply to an archived one.

What checking reads (streets, the institution of a credit code, push windows) comes from
``lookups``: by default a query each (``RegistrationLookups``); ``RegistrationLookups.for_rows``
reads a whole file's at once, so a row costs no query.
"""

import datetime
from collections.abc import Mapping

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from luchen_care.accounts.models import Authority
from luchen_care.core.messages import NULL_CHARACTERS
from luchen_care.core.policy import PolicyNotInForce, policy_in_force
from luchen_care.core.scope import scope_for

from ..models import Institution, PushWindowPolicy, RegistrationKind, Street
from ..permissions import can_correct_registration, can_record_registration
from ..selectors.policies import push_window_on
from ..selectors.streets import streets_for
from ..validators import normalize_credit_code, validate_credit_code

# The input of a registration, in the order the API, the admin form and the Excel template use.
REGISTRATION_FIELDS = (
    "authority",
    "registration_number",
    "registered_on",
    "kind",
    "credit_code",
    "institution_name",
    "street_code",
    "address",
    "legal_representative",
)
# Given by the health bureau alone, to record a registration that does not match (see
# ``registration_mismatches``); kept on the registration, not in the data as registered.
CORRECTION_FIELD = "correction_reason"
# GB 32100-2015: the first character of a credit code names the body that registered it.
AUTHORITY_CODE_PREFIX = {
    Authority.ESTABLISHMENT_OFFICE: "1",
    Authority.CIVIL_AFFAIRS: "5",
    Authority.MARKET_REGULATION: "9",
}
# Registration and filing of childcare institutions (托育机构登记和备案办法) dates from 2019: an
# earlier date is a typing error, and would count its deadline in a calendar nobody publishes.
EARLIEST_REGISTERED_ON = datetime.date(2019, 1, 1)


def correction_reason_errors(actor, reason) -> list:
    if reason and not can_correct_registration(actor):
        return [
            _(
                "Only the health bureau may give a correction reason. A registration authority records "
                "registrations only of institutions registered with it; leave this field empty."
            )
        ]
    return []


def registration_mismatches(*, actor, authority, credit_code, institution) -> list:
    """The guard between registration authorities: what does not match, as messages for ``credit_code``.

    - The code's first character must be the registering body of ``authority`` (GB 32100-2015).
    - An institution registered with another authority is not that authority's to change,
      deregister or register anew: otherwise one authority could rewrite another's institution
      and move it into its own scope. An institution registered with no authority yet (entered
      by the bureau) is claimed by the first registration whose code fits.
    - The health bureau may record either mismatch with a correction reason
      (``registration_refusals``); an authority never can. Each message, worded for ``actor``,
      says which case it is and what to do.
    """
    errors = []
    correcting = can_correct_registration(actor)
    prefix = AUTHORITY_CODE_PREFIX.get(authority)
    if prefix and credit_code[0] != prefix:
        values = {"authority": Authority(authority).label, "prefix": prefix, "first": credit_code[0]}
        if correcting:
            message = _(
                "A credit code registered by the %(authority)s begins with %(prefix)s (GB 32100-2015); this one "
                "begins with %(first)s. Check the code and the registration authority; to record it as it is, "
                "give a correction reason."
            )
        else:
            message = _(
                "A credit code registered by the %(authority)s begins with %(prefix)s (GB 32100-2015); this one "
                "begins with %(first)s. Check the code and the registration authority."
            )
        errors.append(message % values)
    other = institution.registration_authority if institution is not None else ""
    if other and other != authority:
        if correcting:
            errors.append(
                _(
                    "This institution is registered with the %(other)s, not the %(authority)s. To record this "
                    "registration and move the institution to the %(authority)s, give a correction reason."
                )
                % {"other": Authority(other).label, "authority": Authority(authority).label}
            )
        else:
            errors.append(
                _(
                    "This credit code belongs to an institution registered with another registration authority. "
                    "The %(authority)s may record registrations only of institutions registered with it; if this "
                    "one has moved to you, ask the health bureau to correct the record."
                )
                % {"authority": Authority(authority).label}
            )
    return errors


def registration_refusals(*, actor, mismatches, correction_reason) -> list:
    """The mismatches that stand: all of them, unless the health bureau gave a reason."""
    if correction_reason and can_correct_registration(actor):
        return []
    return mismatches


class RegistrationLookups:
    """What checking a registration reads. This one queries at each call (one registration);
    ``for_rows`` reads what a whole file needs in a few queries and answers from memory.

    Streets are those ``actor`` sees (its county's): a code of another county is refused like
    an unknown one. Institutions are looked up across counties, so that a credit code already
    registered elsewhere is found (and refused as a mismatch, not created twice).
    """

    def __init__(self, actor=None):
        self.actor = actor

    def streets(self):
        return streets_for(self.actor)

    def street(self, code):
        return self.streets().filter(code=code).first()

    def institution(self, credit_code):
        return Institution.objects.select_related("street").filter(credit_code=credit_code).first()

    def push_rule(self, day, county_id=None):
        """The push window in force on ``day`` in that county (``push_window_on``), ``None`` before the first."""
        try:
            return push_window_on(day, county_id)
        except PolicyNotInForce:
            return None

    @classmethod
    def for_rows(cls, rows, actor=None):
        """The lookups of every row in ``rows`` (dicts of the form's input), read once."""
        codes = {normalize_credit_code(str(row.get("credit_code") or "")) for row in rows}
        return PrefetchedRegistrationLookups(
            streets={s.code: s for s in cls(actor).streets()},
            institutions={
                i.credit_code: i
                for i in Institution.objects.select_related("street").filter(credit_code__in=codes - {""})
            },
            push_rules=list(PushWindowPolicy.objects.order_by("-effective_from")),
        )


class PrefetchedRegistrationLookups(RegistrationLookups):
    def __init__(self, *, streets, institutions, push_rules):
        self._streets, self._institutions, self._push_rules = streets, institutions, push_rules

    def street(self, code):
        return self._streets.get(code)

    def institution(self, credit_code):
        return self._institutions.get(credit_code)

    def push_rule(self, day, county_id=None):
        return policy_in_force(self._push_rules, day, county_id)


class StreetField(forms.ModelChoiceField):
    """A street or town of the actor's county, by its NBS code; read from the form's lookups."""

    default_error_messages = {
        "invalid_choice": gettext_lazy("“%(value)s” is not the NBS code of a street or town of your county."),
    }

    lookups = None

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, Street):
            return value
        code = str(value).strip()
        if "\x00" in code:  # never sent to the database: PostgreSQL refuses a NUL in a string
            raise ValidationError(NULL_CHARACTERS, code="null_characters_not_allowed")
        street = (self.lookups or RegistrationLookups()).street(code)
        if street is None:
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice", params={"value": code})
        return street

    def validate(self, value):
        forms.Field.validate(self, value)  # to_python has checked the street exists


class RegistrationForm(forms.Form):
    """A registration's input, as an authority or the bureau gives it (see the module docstring).

    ``cleaned_data`` holds the fields cleaned (``registered_on`` a date, ``credit_code``
    normalized, ``street_code`` the code) and, for ``registration_record``: ``street`` (the
    ``Street``), ``push_rule`` (the push window in force on ``registered_on``) and
    ``institution`` (the registry's institution of the credit code, or ``None``).
    """

    authority = forms.ChoiceField(label=gettext_lazy("registration authority"), choices=Authority.choices)
    registration_number = forms.CharField(label=gettext_lazy("registration number"), max_length=64)
    registered_on = forms.DateField(
        label=gettext_lazy("registered on"),
        input_formats=["%Y-%m-%d", "%Y/%m/%d"],
        error_messages={"invalid": gettext_lazy("Enter the date of registration as YYYY-MM-DD.")},
    )
    kind = forms.ChoiceField(label=gettext_lazy("kind of registration"), choices=RegistrationKind.choices)
    credit_code = forms.CharField(label=gettext_lazy("unified social credit code"), max_length=18)
    institution_name = forms.CharField(label=gettext_lazy("institution name"), max_length=200)
    street_code = StreetField(
        label=gettext_lazy("street or town"),
        queryset=Street.objects.order_by("code"),
        to_field_name="code",
        help_text=gettext_lazy("The 9-digit NBS code of the street or town"),
    )
    address = forms.CharField(label=gettext_lazy("address"), max_length=255)
    legal_representative = forms.CharField(label=gettext_lazy("legal representative"), max_length=50)
    correction_reason = forms.CharField(
        label=gettext_lazy("correction reason"),
        max_length=255,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy(
            "Health bureau only: why it records a registration whose credit code or institution does not "
            "match the registration authority. Refused from a registration authority."
        ),
    )

    def __init__(self, data=None, *args, actor=None, lookups=None, **kwargs):
        if data is not None and not isinstance(data, Mapping):
            raise TypeError("a registration's input is a mapping of its fields")
        super().__init__(data, *args, **kwargs)
        self.actor = actor
        self.lookups = lookups or RegistrationLookups(actor)
        self.fields["street_code"].lookups = self.lookups
        if actor is not None:
            self.fields["street_code"].queryset = streets_for(actor)

    def clean_authority(self):
        authority = self.cleaned_data["authority"]
        if not can_record_registration(self.actor, authority):
            own = getattr(self.actor, "authority", "")
            if own:
                raise ValidationError(
                    _("You may record registrations of your own authority (%(own)s) only.")
                    % {"own": Authority(own).label}
                )
            raise ValidationError(_("Only registration authorities and the health bureau may record registrations."))
        return authority

    def clean_registered_on(self):
        day = self.cleaned_data["registered_on"]
        if day > timezone.localdate():
            raise ValidationError(_("The date of registration cannot be in the future."))
        if day < EARLIEST_REGISTERED_ON:
            raise ValidationError(
                _(
                    "The date of registration cannot be before %(earliest)s: the national registration and "
                    "filing rules for childcare institutions date from 2019."
                )
                % {"earliest": EARLIEST_REGISTERED_ON.isoformat()}
            )
        return day

    def clean_credit_code(self):
        code = normalize_credit_code(self.cleaned_data["credit_code"])
        validate_credit_code(code)
        return code

    def clean_correction_reason(self):
        reason = self.cleaned_data.get(CORRECTION_FIELD, "")
        errors = correction_reason_errors(self.actor, reason)
        if errors:
            raise ValidationError(errors)
        return reason

    def clean(self):
        cleaned = super().clean()
        street = cleaned.get("street_code")
        if isinstance(street, Street):
            cleaned["street"], cleaned["street_code"] = street, street.code
        day = cleaned.get("registered_on")
        if day is not None:
            # The push window of the registration's county (its own row, else the default) on its day.
            rule = self.lookups.push_rule(day, street.county_id if isinstance(street, Street) else None)
            if rule is None:
                self.add_error("registered_on", PolicyNotInForce(PushWindowPolicy, day).message)
            else:
                cleaned["push_rule"] = rule
        cleaned.setdefault(CORRECTION_FIELD, "")
        credit_code, authority, kind = cleaned.get("credit_code"), cleaned.get("authority"), cleaned.get("kind")
        if not credit_code:
            return cleaned
        institution = self.lookups.institution(credit_code)
        counties = scope_for(self.actor).counties if self.actor is not None else frozenset()
        if institution is not None and counties and institution.street.county_id not in counties:
            # Found across counties, so that it is not registered twice; never changed from another county.
            self.add_error(
                "credit_code",
                _(
                    "This credit code belongs to an institution of another county; it is registered there "
                    "and cannot be registered or changed from your county."
                ),
            )
            return cleaned
        cleaned["institution"] = institution
        if authority:
            reason = cleaned[CORRECTION_FIELD]
            mismatches = registration_mismatches(
                actor=self.actor, authority=authority, credit_code=credit_code, institution=institution
            )
            refused = registration_refusals(actor=self.actor, mismatches=mismatches, correction_reason=reason)
            if refused:
                self.add_error("credit_code", refused)
            elif reason and not mismatches and can_correct_registration(self.actor):
                self.add_error(
                    CORRECTION_FIELD,
                    _(
                        "There is nothing to correct: the credit code and the institution match this "
                        "registration authority. Leave the correction reason empty."
                    ),
                )
        if kind == RegistrationKind.DEREGISTRATION and institution is None:
            self.add_error(
                "credit_code",
                _("No institution with this credit code is in the registry, so it cannot be deregistered."),
            )
        if kind == RegistrationKind.CHANGE and institution is not None and institution.archived:
            self.add_error(
                "credit_code", _("This institution is closed and archived; a change cannot be applied to it.")
            )
        return cleaned
