"""The access log of personal data (个人信息访问记录): who read which records' personal fields,
when, from which address and through which face.

One row per request that showed personal fields unmasked (``services.personal_data_access_record``):
a page of a list or an export is one row with its count and filter, never a row per record.
Rows are written once and never changed; ``personal_data_access_prune`` deletes those past
retention (``PERSONAL_DATA_ACCESS_RETENTION_DAYS``).
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from luchen_care.core.scope import ScopedQuerySet, ScopePath

# How many record ids and labels an entry keeps; a longer list keeps its count (``row_count``).
RECORD_LIST_LIMIT = 100


class Face(models.TextChoices):
    """Through which face the personal data was read."""

    ADMIN = "admin", _("admin pages")
    PAGE = "page", _("portal pages")
    API = "api", _("API")
    EXPORT = "export", _("export")
    DOWNLOAD = "download", _("document download")


class AccessAction(models.TextChoices):
    VIEW = "view", _("viewed a record")
    LIST = "list", _("read a list")
    HISTORY = "history", _("read a record's history")
    EXPORT = "export", _("exported")
    DOWNLOAD = "download", _("downloaded a document")
    WRITE = "write", _("received a record after writing it")


class PersonalDataAccess(models.Model):
    """One reading of personal data: who, when, from where, which records, through which face."""

    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        # The entry outlives the account: its username and role are copied below.
        on_delete=models.SET_NULL,
        related_name="+",
    )
    username = models.CharField(_("username"), max_length=150)
    role = models.CharField(_("role"), max_length=32, blank=True)
    # The county whose records were read (or the reader's, when the records span several);
    # its health bureau reads the entry. Empty: a superuser's to read.
    county = models.ForeignKey(
        "regions.County", verbose_name=_("county"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    address = models.CharField(_("client address"), max_length=64, blank=True)
    face = models.CharField(_("face"), max_length=16, choices=Face.choices)
    action = models.CharField(_("action"), max_length=16, choices=AccessAction.choices)
    record_type = models.CharField(_("kind of record"), max_length=100)
    record_ids = models.JSONField(_("record ids"), default=list, blank=True)
    record_labels = models.JSONField(_("records"), default=list, blank=True)
    # For the admin's search, portable to the embedded SQLite: the ids as "#12# #34#", the labels
    # one a line (``services.personal_data_access_record``).
    record_index = models.TextField(_("record id index"), blank=True, editable=False)
    label_index = models.TextField(_("record name index"), blank=True, editable=False)
    row_count = models.PositiveIntegerField(_("rows"), default=0)
    query = models.JSONField(_("filter"), default=dict, blank=True)
    path = models.CharField(_("path"), max_length=500)

    scope = ScopePath.district(county="county")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("personal data access")
        verbose_name_plural = _("personal data access log")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["county", "-at"], name="audit_access_county_at"),
            models.Index(fields=["user", "-at"], name="audit_access_user_at"),
        ]

    def __str__(self):
        when = date_format(timezone.localtime(self.at), "DATETIME_FORMAT") if self.at else ""
        return f"{when} {self.username} {self.get_action_display()}"

    def save(self, *args, **kwargs):
        # Written once: an entry of the log is never changed.
        if not self._state.adding:
            raise ValidationError(_("An entry of the access log cannot be changed."))
        super().save(*args, **kwargs)
