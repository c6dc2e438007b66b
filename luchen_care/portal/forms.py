from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from luchen_care.accounts.models import Role

from .access import in_portal


class PortalAuthenticationForm(AuthenticationForm):
    """The portal's sign-in: only institution accounts get in; a staff account is told to use
    the workbench's sign-in, without saying whether its password was right.

    An institution account that is not active (a sign-up awaiting activation) is refused like any
    wrong password, except that whoever gives its right password is told it awaits activation:
    ModelBackend refuses inactive accounts before Django's ``confirm_login_allowed`` could say so,
    and without the password the answer is the same as for an unknown username."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "not_institution": _(
            "This sign-in is for childcare institutions. Bureau and street-office staff sign in on the "
            "supervision workbench."
        ),
        "awaiting_activation": _(
            "This account is not active yet: it awaits the health bureau's activation, or the code sent to "
            "the institution's phone on record. If it was active before, ask the health bureau."
        ),
    }

    def clean(self):
        try:
            return super().clean()
        except forms.ValidationError as exc:
            if getattr(exc, "code", None) == "invalid_login" and self._inactive_institution_account():
                raise forms.ValidationError(
                    self.error_messages["awaiting_activation"], code="awaiting_activation"
                ) from exc
            raise

    def _inactive_institution_account(self) -> bool:
        """Whether the username and password given are those of an inactive institution account.

        Every refused sign-in costs one more password hash, whether there is such an account or
        not, so the time of the answer does not tell either. (The refusal was already counted by
        the login limits: ``authenticate`` failed.)"""
        User = get_user_model()
        username, password = self.cleaned_data.get("username"), self.cleaned_data.get("password") or ""
        account = (
            User._default_manager.filter(
                **{User.USERNAME_FIELD: username}, is_active=False, role=Role.INSTITUTION, institution__isnull=False
            ).first()
            if username
            else None
        )
        if account is None:
            User().set_password(password)
            return False
        return account.check_password(password)

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if not in_portal(user):
            raise forms.ValidationError(self.error_messages["not_institution"], code="not_institution")
