from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from .access import in_portal


class PortalAuthenticationForm(AuthenticationForm):
    """The portal's sign-in: only institution accounts get in; a staff account is told to use
    the workbench's sign-in, without saying whether its password was right."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "not_institution": _(
            "This sign-in is for childcare institutions. Bureau and street-office staff sign in on the "
            "supervision workbench."
        ),
    }

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if not in_portal(user):
            raise forms.ValidationError(self.error_messages["not_institution"], code="not_institution")
