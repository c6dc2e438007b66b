"""Writes of stored files: a checked upload kept, attributed, and linked to the file it replaces."""

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from luchen_care.core.scope import ScopePath

from .models import StoredFile
from .validators import validate_upload


def _visible_subject(actor, subject):
    model = type(subject)
    if not isinstance(getattr(model, "scope", None), ScopePath) or subject.pk is None:
        raise TypeError(f"A stored file belongs to a saved, scoped record; {model._meta.label} is not one.")
    return model._default_manager.visible_to(actor).filter(pk=subject.pk).exists()


def _shown_name(upload, extension):
    """The uploaded name as the user will see it again: its last part, printable characters only
    (no NUL for the database, no path), at most 255 characters with its extension kept."""
    name = str(getattr(upload, "name", "") or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(char for char in name if char.isprintable()).strip()
    return name[-255:] or f"file.{extension}"


@transaction.atomic
def stored_file_save(*, actor, subject, purpose, upload, replaces=None) -> StoredFile:
    """Keep ``upload`` as a file of ``subject`` for ``purpose``, uploaded by ``actor`` now; return it.

    The upload is checked first (``validate_upload``: type by content, size, that it opens); a
    refusal raises a ``ValidationError`` keyed ``file`` and stores nothing, no row and no file.
    The file is written to the uploads storage under a random name, with its name as uploaded,
    its content type, size and SHA-256 recorded. ``replaces``: a current file of the same subject
    and purpose, which is then marked replaced by the new one (its row and its stored file stay,
    in the history). Raises ``PermissionDenied`` if ``actor`` cannot see ``subject``.

    A failure after the file is written removes it again; a caller's own transaction that rolls
    back later leaves the written file behind, unreferenced (storage has no rollback).
    """
    if not _visible_subject(actor, subject):
        raise PermissionDenied
    checked = validate_upload(upload, field="file")
    subject_type = ContentType.objects.get_for_model(type(subject))
    previous = None
    if replaces is not None:
        previous = StoredFile.objects.select_for_update().filter(pk=replaces.pk).first()
        if previous is None or (previous.subject_type_id, previous.subject_id) != (subject_type.pk, subject.pk):
            raise ValidationError({"replaces": _("The file to replace does not belong to this record.")})
        if previous.superseded_by_id:
            raise ValidationError({"replaces": _("This file has already been replaced; reload the page.")})
        purpose = previous.purpose
    stored = StoredFile(
        subject_type=subject_type,
        subject_id=subject.pk,
        purpose=purpose,
        original_name=_shown_name(upload, checked.extension),
        content_type=checked.content_type,
        size=checked.size,
        sha256=checked.sha256,
        uploaded_by=actor,
        uploaded_at=timezone.now(),
    )
    stored._history_user = actor
    upload.seek(0)
    stored.file.save(stored.original_name, upload, save=False)  # the name is made by stored_file_path
    try:
        stored.full_clean()
        stored.save()
        if previous is not None:
            previous.superseded_by = stored
            previous.superseded_at = stored.uploaded_at
            previous._history_user = actor
            previous.full_clean()
            previous.save(update_fields=["superseded_by", "superseded_at"])
    except BaseException:
        # Nothing half-saved: the row is rolled back with the transaction, the written file removed here.
        stored.file.storage.delete(stored.file.name)
        raise
    return stored
