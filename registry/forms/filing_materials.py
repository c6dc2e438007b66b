"""The portal's upload of a filing section's material: ``FilingMaterialForm``.

The purpose comes from the section's list (``MATERIALS_OF``); a replacement names the current file
it replaces by public id. What the file must be (a sound PDF, JPEG or PNG) is checked by the
service (``filing_material_upload`` → ``luchen_care.files.validators``), whose ``file``-keyed
errors the page shows on this form.
"""

from django import forms
from django.utils.translation import gettext_lazy as _

from ..models.filings import MATERIALS_OF


class FilingMaterialForm(forms.Form):
    purpose = forms.ChoiceField(label=_("What the material is"), choices=())
    file = forms.FileField(
        label=_("File"),
        help_text=_("A PDF, or a JPEG or PNG scan or photo."),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"}),
    )
    replaces = forms.UUIDField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, section, current_files, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["purpose"].choices = [(p.value, p.label) for p, _required in MATERIALS_OF[section.key]]
        self.current_files = current_files

    def clean_replaces(self):
        public_id = self.cleaned_data.get("replaces")
        if public_id is None:
            return None
        current = next((f for f in self.current_files if f.public_id == public_id), None)
        if current is None:
            raise forms.ValidationError(
                _("That file is not among this section's current materials; reload the page."), code="unknown"
            )
        return current
