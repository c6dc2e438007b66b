"""The input of the bureau's review steps in the admin: a comment per section to return, the reasons
to reject, an optional comment on the others. The services check again (``registry.services.filings``)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from ..models.filings import COMMENT_MAX


class FilingStepForm(forms.Form):
    """Taking up a filing, starting its on-site check, approving it: an optional comment."""

    comment = forms.CharField(
        label=_("comment"), required=False, max_length=COMMENT_MAX, widget=forms.Textarea(attrs={"rows": 3})
    )


class FilingRejectForm(forms.Form):
    reasons = forms.CharField(
        label=_("reasons for the rejection"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": _("Give the reasons for the rejection.")},
    )


class FilingReturnForm(forms.Form):
    """One comment box per section of the filing (``sections``); at least one must say what to change."""

    def __init__(self, *args, sections, **kwargs):
        super().__init__(*args, **kwargs)
        for section in sections:
            self.fields[f"comment_{section.key}"] = forms.CharField(
                label=section.get_key_display(),
                required=False,
                max_length=COMMENT_MAX,
                widget=forms.Textarea(attrs={"rows": 2}),
            )
        self.keys = [section.key for section in sections]

    def clean(self):
        cleaned = super().clean()
        if not any((cleaned.get(f"comment_{key}") or "").strip() for key in self.keys):
            raise forms.ValidationError(_("Say, on at least one section, what the institution must change."))
        return cleaned

    def comments(self):
        """The service's input: ``{section key: comment}``, the sections commented on."""
        return {
            key: self.cleaned_data[f"comment_{key}"].strip()
            for key in self.keys
            if (self.cleaned_data.get(f"comment_{key}") or "").strip()
        }
