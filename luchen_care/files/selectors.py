"""Reads of stored files, always through ``StoredFile.objects.visible_to(viewer)``."""

from django.contrib.contenttypes.models import ContentType

from .models import StoredFile


def stored_files_of(*, subject, viewer, current_only=True):
    """The files of ``subject`` that ``viewer`` may see, newest first (``current_only``: not replaced)."""
    files = StoredFile.objects.visible_to(viewer).filter(
        subject_type=ContentType.objects.get_for_model(type(subject)), subject_id=subject.pk
    )
    if current_only:
        files = files.filter(superseded_by__isnull=True)
    return files.select_related("uploaded_by")


def stored_files_with_history(*, subject, viewer):
    """``[(current file, [the files it replaced, newest first])]`` of ``subject``, newest first, in one query."""
    files = list(stored_files_of(subject=subject, viewer=viewer, current_only=False))
    replaced = {file.superseded_by_id: file for file in files if file.superseded_by_id}
    result = []
    for file in files:
        if file.superseded_by_id:
            continue
        earlier, cursor = [], replaced.get(file.pk)
        while cursor is not None:
            earlier.append(cursor)
            cursor = replaced.get(cursor.pk)
        result.append((file, earlier))
    return result


def stored_file_for_download(*, viewer, public_id):
    """The file with ``public_id`` if ``viewer`` may see it, else ``None`` (unknown and out of scope alike)."""
    return StoredFile.objects.visible_to(viewer).filter(public_id=public_id).select_related("subject_type").first()


def stored_file_subject_county(stored):
    """The id of the county of the file's subject, through the subject model's scope declaration
    (``None`` when it declares no county)."""
    model = stored.subject_type.model_class()
    path = model.scope.paths().get("county") if model is not None else None
    if not path:
        return None
    return model._default_manager.filter(pk=stored.subject_id).values_list(path, flat=True).first()
