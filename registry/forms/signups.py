"""The input of an institution's self-service sign-up (``SignupForm``), of its one-time code
(``SignupCodeForm``), and of the bureau's decision on it (``SignupDecisionForm``).

The sign-up form checks what each field is on its own (a well-formed credit code and phone, the
platform's username and password rules), with an error on that field; whether the three
details match a registered institution is the service's (``portal_signup_request``), which
answers a mismatch with one message that names no field."""

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from ..services.signups import signup_account_errors
from ..validators import normalize_credit_code, validate_credit_code, validate_phone


class SignupForm(forms.Form):
    credit_code = forms.CharField(
        label=_("Unified social credit code"),
        max_length=18,
        help_text=_("18 characters, as on the business licence or registration certificate."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}),
    )
    registration_number = forms.CharField(
        label=_("Registration number"),
        max_length=64,
        help_text=_("As given by the registration authority (市场监管局, 民政局 or 区委编办)."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    phone = forms.CharField(
        label=_("Contact phone"),
        max_length=20,
        help_text=_("The institution's contact phone as registered. The code is sent to the phone on record."),
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel", "inputmode": "tel"}),
    )
    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        help_text=_("Letters, digits and @ . + - _ only."),
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"}),
    )
    email = forms.EmailField(
        label=_("E-mail (optional)"),
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        help_text=_("At least 10 characters, mixing three of: lower-case letters, capitals, digits, other characters."),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=_("Password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean_credit_code(self):
        value = normalize_credit_code(self.cleaned_data["credit_code"])
        validate_credit_code(value)
        return value

    def clean_phone(self):
        value = self.cleaned_data["phone"].strip()
        # Written as people write it (+86 139-0577-1234): checked without the country code and separators.
        validate_phone(re.sub(r"[\s-]", "", re.sub(r"^\+?86(?=[\s-]*1)", "", value)))
        return value

    def clean(self):
        cleaned = super().clean()
        first, second = cleaned.get("password1"), cleaned.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("The two passwords differ."))
        if "username" in cleaned and first and not self.has_error("password2"):
            errors = signup_account_errors(
                username=cleaned["username"], password=first, email=cleaned.get("email") or ""
            )
            for name, messages in errors.items():
                self.add_error("password1" if name == "password" else name, messages)
        return cleaned

    def request_fields(self):
        """The service's input (``portal_signup_request``), as cleaned."""
        data = self.cleaned_data
        return {
            "credit_code": data["credit_code"],
            "registration_number": data["registration_number"],
            "phone": data["phone"],
            "username": data["username"],
            "password": data["password1"],
            "email": data.get("email") or "",
        }


class SignupCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=6,
        min_length=6,
        help_text=_("The 6 digits sent by SMS to the institution's phone on record."),
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "pattern": "[0-9]*", "maxlength": "6"}
        ),
    )

    def clean_code(self):
        value = self.cleaned_data["code"].strip()
        if not value.isdigit():
            raise ValidationError(_("The code is 6 digits."))
        return value


class SignupDecisionForm(forms.Form):
    """The bureau's comment on its decision (the admin's confirmation page); required to reject."""

    comment = forms.CharField(
        label=_("comment"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, require_comment=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["comment"].required = require_comment
