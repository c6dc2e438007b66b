"""Mixins shared by every regulated record: who created and changed it, and archiving.

Regulated records are never deleted. ``archive()`` stamps who archived a record, when
and why; the record stays queryable and its history stays intact.
"""

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
