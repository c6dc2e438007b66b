"""Mixins shared by every regulated record: who created and changed it, and archiving.

Regulated records are never deleted. ``archive()`` stamps who archived a record, when
and why; the record stays queryable and its history stays intact.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuditedModel(models.Model):
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.PROTECT,
        related_name="+",
    )
    modified_at = models.DateTimeField(_("modified at"), auto_now=True, editable=False)
    modified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("modified by"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        abstract = True

    def stamp(self, actor):
        """Record ``actor`` as the creator (first save) and as the last modifier."""
        if actor is not None and getattr(actor, "is_authenticated", False):
            if self._state.adding and self.created_by_id is None:
                self.created_by = actor
            self.modified_by = actor
            # django-simple-history reads this when it writes the history row.
            self._history_user = actor


class ArchivableModel(models.Model):
    archived = models.BooleanField(_("archived"), default=False, db_index=True)
    archived_on = models.DateTimeField(_("archived on"), null=True, blank=True, editable=False)
    archived_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("archived by"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.PROTECT,
        related_name="+",
    )
    archived_reason = models.TextField(_("reason for archiving"), blank=True)

    class Meta:
        abstract = True

    def archive(self, *, user, reason):
        """Mark the record archived; the caller saves it inside its own transaction."""
        self.archived = True
        self.archived_on = timezone.now()
        self.archived_by = user
        self.archived_reason = reason


class ImportJobStatus(models.TextChoices):
    """Where an import stands. Only ``imported`` changed any record; every other end changed none."""

    QUEUED = "queued", _("queued")
    CHECKING = "checking", _("checking the rows")
    APPLYING = "applying", _("recording")
    IMPORTED = "imported", _("imported")
    REJECTED = "rejected", _("not imported: rows to fix")
    FAILED = "failed", _("not imported: an error on our side")


IMPORT_JOB_FINISHED = (ImportJobStatus.IMPORTED, ImportJobStatus.REJECTED, ImportJobStatus.FAILED)


class ImportJob(AuditedModel):
    """One uploaded file of an import kind (``luchen_care.core.imports``): who started it, the file,
    where it stands, and its report (the rows and columns to fix, or what was recorded).

    ``created_by`` is who started it, and who every record it applies is attributed to; only
    they (and superusers) see the job. The file is kept: it is what the records were made from.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(_("kind of import"), max_length=64)
    file = models.FileField(_("file"), upload_to="imports/%Y/%m/")
    filename = models.CharField(_("file name"), max_length=255)
    language = models.CharField(_("language"), max_length=16, help_text=_("The report is written in it."))
    status = models.CharField(
        _("status"), max_length=16, choices=ImportJobStatus.choices, default=ImportJobStatus.QUEUED
    )
    background = models.BooleanField(_("run in the background"), default=False)
    rows_total = models.PositiveIntegerField(_("rows"), default=0)
    rows_done = models.PositiveIntegerField(_("rows done"), default=0)
    report = models.JSONField(_("report"), default=dict, blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("import job")
        verbose_name_plural = _("import jobs")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["created_by", "-created_at"], name="core_importjob_by_creator")]

    def __str__(self):
        return f"{self.filename} ({self.get_status_display()})"

    @property
    def finished(self):
        return self.status in IMPORT_JOB_FINISHED

    @property
    def percent(self):
        """Progress over both passes (checking every row, then recording them), 0–100."""
        if self.finished:
            return 100
        if not self.rows_total:
            return 0
        done = self.rows_done + (self.rows_total if self.status == ImportJobStatus.APPLYING else 0)
        return min(99, int(100 * done / (2 * self.rows_total)))
