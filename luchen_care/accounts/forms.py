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
