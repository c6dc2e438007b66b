"""Where uploaded files are kept: ``STORAGES["uploads"]``, chosen by environment (``UPLOADS_STORAGE``).

- ``local`` (the default): ``UploadsFileSystemStorage``, under MEDIA_ROOT/uploads/, the media folder
  that ``scripts/backup`` archives and ``scripts/restore`` puts back.
- ``s3``: django-storages' S3 storage on an S3-compatible bucket (production), which must be private.

Neither is ever served by URL: ``url()`` refuses, and every download goes through the scoped view
(``luchen_care.files.views.download``). Stored names are random (``stored_file_path``), never the
uploaded name.
"""

import os
import secrets

from django.conf import settings
from django.core.files.storage import FileSystemStorage, storages
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils import timezone
from django.utils.functional import LazyObject, cached_property, empty

UPLOADS = "uploads"


class UploadsFileSystemStorage(FileSystemStorage):
    """Local disk under ``MEDIA_ROOT/<subfolder>/`` (``uploads/``), read when first used so that a
    changed MEDIA_ROOT (a test's own folder) is followed; no URL is ever made for a file."""

    def __init__(self, location=None, subfolder=UPLOADS, **kwargs):
        self.subfolder = subfolder
        super().__init__(location=location, **kwargs)

    @cached_property
    def base_location(self):
        return self._value_or_setting(self._location, os.path.join(settings.MEDIA_ROOT, self.subfolder))

    def url(self, name):
        raise NotImplementedError("Uploaded files have no URL: they are downloaded through files:download only.")


class _Uploads(LazyObject):
    """``storages["uploads"]``, looked up when first used (and again after STORAGES changes)."""

    def _setup(self):
        self._wrapped = storages[UPLOADS]


uploads_storage = _Uploads()


@receiver(setting_changed)
def _storages_changed(*, setting, **kwargs):
    if setting == "STORAGES":
        uploads_storage._wrapped = empty


def select_uploads_storage():
    """The storage of ``StoredFile.file`` (a callable, so migrations name no backend)."""
    return uploads_storage


def stored_file_path(instance, filename):
    """A random name, ``YYYY/MM/<32 hex>.<ext>``: the uploaded name is never part of it (the
    extension is the one its content was judged to be, set by the service on ``instance``)."""
    now = timezone.now()
    extension = getattr(instance, "extension", "") or "bin"
    return f"{now:%Y}/{now:%m}/{secrets.token_hex(16)}.{extension}"
