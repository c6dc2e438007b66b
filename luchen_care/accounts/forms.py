"""Forms of the accounts app: the admin's sign-in with its second factor, and a code typed alone."""

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.utils.translation import gettext_lazy as _

from .selectors import has_second_factor
from .services import second_factor_verify

CODE_HELP = _("The 6-digit code your authenticator app shows, or one of your recovery codes.")


def code_field(required):
    return forms.CharField(
        label=_("Verification code"),
        required=required,
        max_length=32,
        help_text=CODE_HELP,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "size": 12}),
    )


class TwoFactorAuthenticationForm(AdminAuthenticationForm):
    """The admin's sign-in: the password, then the code of whoever has enrolled an authenticator.

    A user who must use a second factor and has not enrolled yet signs in with the password and
    is taken to enrolment (``twofactor.TwoFactorMiddleware``) before anything else.
    """

    otp_token = code_field(required=False)
    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "otp_required": _("This account signs in with a second factor: enter the code from your authenticator app."),
        "otp_invalid": _("The verification code is wrong or has expired. Enter the code your app shows now."),
    }

    def clean(self):
        cleaned = super().clean()
        user = self.user_cache
        if user is not None and has_second_factor(user):
            code = cleaned.get("otp_token")
            if not code:
                raise forms.ValidationError(self.error_messages["otp_required"], code="otp_required")
            device = second_factor_verify(self.request, user, code)
            if device is None:
                raise forms.ValidationError(self.error_messages["otp_invalid"], code="otp_invalid")
            user.otp_device = device  # django-otp keeps it in the session when the user is logged in
        return cleaned


class CodeForm(forms.Form):
    """A code typed on the two-factor page (to confirm enrolment, or to verify this session)."""

    otp_token = code_field(required=True)


# --- Institution accounts: the portal's and the admin's forms ----------------------------------------
# One declaration per record: the bureau's invitation (admin) and the administrator's (portal) share
# ``InvitationForm``; the services check again whatever a form lets through.


class FieldErrorsMixin:
    """Put a service's field-keyed ``ValidationError`` on this form's fields (others on the form)."""

    def add_service_errors(self, exc):
        for name, messages in exc.message_dict.items():
            self.add_error(name if name in self.fields else None, messages)


class InvitationForm(FieldErrorsMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100, help_text=_("The person invited, as on their ID card."))
    phone = forms.CharField(
        label=_("Mobile phone"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel", "autocomplete": "off"}),
    )
    email = forms.EmailField(label=_("E-mail"), required=False)
    send = forms.BooleanField(
        label=_("Send the link by SMS or e-mail"),
        required=False,
        initial=True,
        help_text=_("Otherwise, or when no channel is configured, print the link and hand it over."),
    )


class TokenForm(forms.Form):
    """The token of a one-time link: filled from the link by the page's script, or typed."""

    token = forms.CharField(
        label=_("Code of the link"),
        max_length=100,
        help_text=_("Filled in from your link. If it is empty, type the code printed below the QR code."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "off", "spellcheck": "false"}),
    )


class NewPasswordMixin(forms.Form):
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 10 characters, mixing three of: lower-case letters, capitals, digits, other characters."),
    )
    password2 = forms.CharField(
        label=_("Password again"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("password1") and cleaned.get("password2") and cleaned["password1"] != cleaned["password2"]:
            self.add_error("password2", _("The two passwords differ: type the same password twice."))
        return cleaned


class InvitationAcceptForm(FieldErrorsMixin, NewPasswordMixin, TokenForm):
    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        help_text=_("What you sign in with: letters, digits and @ . + - _ (your mobile number will do)."),
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "off"}),
    )
    field_order = ["token", "username", "password1", "password2"]


class PasswordResetRequestForm(forms.Form):
    username = forms.CharField(
        label=_("Username"), max_length=150, widget=forms.TextInput(attrs={"autocomplete": "username"})
    )
    contact = forms.CharField(
        label=_("Mobile phone or e-mail on your account"),
        max_length=254,
        help_text=_("The link to set a new password goes there."),
    )


class PasswordResetSetForm(FieldErrorsMixin, TokenForm):
    new_password1 = NewPasswordMixin.base_fields["password1"]
    new_password2 = NewPasswordMixin.base_fields["password2"]

    def clean(self):
        cleaned = super().clean()
        first, second = cleaned.get("new_password1"), cleaned.get("new_password2")
        if first and second and first != second:
            self.add_error("new_password2", _("The two passwords differ: type the same password twice."))
        return cleaned
