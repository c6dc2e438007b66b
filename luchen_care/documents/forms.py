from django import forms
from django.utils.translation import gettext_lazy as _

from .codes import code_normalize


class VerificationCodeForm(forms.Form):
    """The code printed at the foot of a document, as typed (spaces, hyphens and case do not matter)."""

    code = forms.CharField(
        label=_("Document verification code"),
        max_length=40,
        help_text=_("16 letters and digits, printed at the foot of every page, e.g. 7K3M-9QXA-2B4R-D8WZ."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}),
    )

    def clean_code(self):
        code = code_normalize(self.cleaned_data["code"])
        if code is None:
            raise forms.ValidationError(
                _(
                    "This is not a verification code: a code has 16 letters and digits, "
                    "as printed at the foot of the document."
                ),
                code="malformed",
            )
        return code
