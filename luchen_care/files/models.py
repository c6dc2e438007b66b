"""Uploaded files: one row per stored file, with what it belongs to, who sent it, when, and its checksum.

A file belongs to a record of any app (its subject, through contenttypes) and is visible exactly as
that record is (``ScopePath.subject``): an institution's licence to whoever sees the institution.
``purpose`` is the owning app's key for what the file is (``"registry.business_licence"``).
Replacing a file keeps the old one: its row is marked superseded and points at its successor, and
its stored file stays where it is.
"""

import uuid

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from luchen_care.core.scope import ScopedQuerySet, ScopePath

from .storage import select_uploads_storage, stored_file_path
from .validators import ACCEPTED


class StoredFile(models.Model):
    """One uploaded file: what it belongs to, what it is, who uploaded it when, and what replaced it."""

    # The id in the download URL: random, so a URL cannot be guessed from another.
    public_id = models.UUIDField(_("public id"), default=uuid.uuid4, unique=True, editable=False)
    subject_type = models.ForeignKey(
        ContentType, verbose_name=_("subject type"), on_delete=models.PROTECT, related_name="+"
    )
    subject_id = models.PositiveBigIntegerField(_("subject id"))
    subject = GenericForeignKey("subject_type", "subject_id")
    purpose = models.CharField(
        _("purpose"), max_length=64, help_text=_("What the file is, as the owning app names it.")
    )
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(
        _("content type"), max_length=100, choices=[(mime, mime) for mime in ACCEPTED], editable=False
    )
    size = models.PositiveBigIntegerField(_("size (bytes)"), editable=False)
    sha256 = models.CharField(_("SHA-256"), max_length=64, editable=False)
    file = models.FileField(
        _("stored file"), storage=select_uploads_storage, upload_to=stored_file_path, max_length=255
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now, editable=False)
    superseded_by = models.OneToOneField(
        "self",
        verbose_name=_("replaced by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="supersedes",
    )
    superseded_at = models.DateTimeField(_("replaced at"), null=True, blank=True)
    history = HistoricalRecords(verbose_name=_("historical stored file"), user_model=settings.AUTH_USER_MODEL)

    # Visible as its subject is, through the subject model's own declaration.
    scope = ScopePath.subject("subject_type", "subject_id")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-uploaded_at", "-id"]
        verbose_name = _("stored file")
        verbose_name_plural = _("stored files")
        indexes = [models.Index(fields=["subject_type", "subject_id", "purpose"], name="files_subject_purpose_idx")]

    def __str__(self):
        return self.original_name

    @property
    def extension(self):
        """The extension its content was judged to be (the stored name's)."""
        return ACCEPTED.get(self.content_type, "bin")

    @property
    def superseded(self):
        return self.superseded_by_id is not None
