"""Issued documents: one row per PDF the platform issued, with its verification code and its hash.

The row is what the public verification page (/verify/<code>/) reads: it confirms that a document
with that code was issued, by whom and when, and shows ``public_summary`` and the SHA-256 of the
file, nothing else. ``content`` is the PDF as issued, so every copy served later is byte-for-byte
the one whose hash the page shows.

Who sees the row itself is who sees what it is about: ``scope`` is the subject path of
``luchen_care.core.scope`` (a registration's receipt is visible as that registration is).
"""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from luchen_care.core.scope import ScopedQuerySet, ScopePath

from .codes import code_display

# What the public page may show of a document, and in this order: its own printed words.
PUBLIC_FIELDS = ("kind", "title", "number", "issuer", "issued_on", "institution")


class IssuedDocument(models.Model):
    """A PDF issued by the platform in a county's name (登记回执, 通知书, 决定书…)."""

    code = models.CharField(_("verification code"), max_length=16, unique=True, editable=False)
    kind = models.CharField(_("kind of document"), max_length=64, db_index=True)
    title = models.CharField(_("title"), max_length=200)
    number = models.CharField(_("document number"), max_length=100, blank=True)
    county = models.ForeignKey(
        "regions.County", verbose_name=_("issuing county"), on_delete=models.PROTECT, related_name="+"
    )
    issuer = models.CharField(
        _("issuing body"), max_length=200, help_text=_("As printed on the document, from the county's branding.")
    )
    subject_type = models.ForeignKey(ContentType, verbose_name=_("subject type"), on_delete=models.PROTECT)
    subject_id = models.PositiveBigIntegerField(_("subject id"))
    subject = GenericForeignKey("subject_type", "subject_id")
    issued_at = models.DateTimeField(_("issued at"))
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("issued by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    sha256 = models.CharField(_("SHA-256 of the file"), max_length=64)
    public_summary = models.JSONField(
        _("public summary"),
        default=dict,
        help_text=_("What the verification page shows: words the document itself prints, never personal data."),
    )
    content = models.BinaryField(_("PDF file"), editable=False)
    size = models.PositiveIntegerField(_("size in bytes"))
    # The file stays out of the history table: its hash is there, and the file never changes.
    history = HistoricalRecords(
        verbose_name=_("historical issued document"),
        excluded_fields=["content"],
        user_model=settings.AUTH_USER_MODEL,
    )

    scope = ScopePath.subject("subject_type", "subject_id")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-issued_at", "-id"]
        verbose_name = _("issued document")
        verbose_name_plural = _("issued documents")
        indexes = [models.Index(fields=["subject_type", "subject_id", "kind"], name="documents_subject_kind_idx")]

    def __str__(self):
        return f"{self.title} {self.display_code}"

    @property
    def display_code(self):
        """The code as printed: ABCD-EFGH-JKMN-PQRS."""
        return code_display(self.code)

    @property
    def filename(self):
        """The file's name for a download: the title and the code, e.g. 登记回执-ABCD-EFGH-JKMN-PQRS.pdf."""
        return f"{self.title}-{self.display_code}.pdf"
