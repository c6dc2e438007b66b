"""The input of an institution's own document (营业执照, 登记证书, 消防…): ``InstitutionDocumentForm``.

One declaration for both ways in: a new document (``purpose`` and ``file``) and a replacement of a
current one (``replaces``, its public id, and ``file``; the purpose is the replaced file's). What
the file must be is checked by ``luchen_care.files.validators`` in the service, whose field-keyed
errors the page shows on this form.
"""

from django import forms
from django.utils.translation import gettext_lazy as _

from ..models import InstitutionDocument
from ..selectors.documents import institution_document_current


class InstitutionDocumentForm(forms.Form):
    purpose = forms.ChoiceField(
        label=_("What the document is"), choices=[("", "—"), *InstitutionDocument.choices], required=False
    )
    file = forms.FileField(
        label=_("File"),
        help_text=_("A PDF, or a JPEG or PNG scan or photo."),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"}),
    )
    replaces = forms.UUIDField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, institution, viewer, **kwargs):
        super().__init__(*args, **kwargs)
        self.institution, self.viewer = institution, viewer

    def clean_replaces(self):
        public_id = self.cleaned_data.get("replaces")
        if public_id is None:
            return None
        current = institution_document_current(institution=self.institution, viewer=self.viewer, public_id=public_id)
        if current is None:
            raise forms.ValidationError(
                _("That document is not among your institution's current documents; reload the page."), code="unknown"
            )
        return current

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("replaces") and not cleaned.get("purpose") and "replaces" not in self.errors:
            self.add_error("purpose", forms.ValidationError(_("Choose what the document is."), code="required"))
        return cleaned
