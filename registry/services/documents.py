"""Writes of an institution's own documents (licence, certificates…), kept as ``luchen_care.files`` files."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from luchen_care.files.services import stored_file_save

from ..models import InstitutionDocument


@transaction.atomic
def institution_document_save(*, actor, institution, purpose, upload, replaces=None):
    """Keep ``upload`` as ``institution``'s document of ``purpose`` (an ``InstitutionDocument``),
    uploaded by ``actor``; ``replaces``: its current file it supersedes (kept in the history).

    Refused with field-keyed errors, and nothing stored, for an unknown purpose or a file that is not
    a sound PDF, JPEG or PNG within the size limit (``luchen_care.files.validators``).
    """
    if replaces is None and purpose not in InstitutionDocument.values:
        raise ValidationError({"purpose": _("Choose what the document is.")})
    if replaces is not None and replaces.purpose not in InstitutionDocument.values:
        raise ValidationError({"replaces": _("The file to replace does not belong to this record.")})
    return stored_file_save(actor=actor, subject=institution, purpose=purpose, upload=upload, replaces=replaces)
