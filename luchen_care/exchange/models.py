"""The outbox: one delivery record per notice and channel.

A notice is something the platform tells another system or a person (a registration pushed
to the health bureau, a daily digest, later a certificate expiry or a subsidy decision). The
app that has something to say writes its delivery rows in the transaction that decides it
(``services.outbox_enqueue``), so it is never decided without its notices; Celery tasks then
deliver them. The outbox knows channels, retries, signatures and delivery records; what a
notice is about is the sender's business: ``topic`` names the kind of notice, ``subject``
points at the record it is about (any model, through contenttypes), and ``payload`` is what
the channel sends, as the sender built it.

Who sees a delivery is who sees its subject: ``PushDelivery.scope`` is the subject path of
``luchen_care.core.scope``, so a registration's push is visible as that registration is, and a
district-level record's (the overdue digest) only to those who see everything.
"""

import uuid

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from luchen_care.core.scope import ScopedQuerySet, ScopePath


class Channel(models.TextChoices):
    WEBHOOK = "webhook", _("Health bureau exchange endpoint (HTTP)")
    DINGTALK = "dingtalk", _("DingTalk group robot")
    INBOX = "inbox", _("Health bureau inbox in the platform")
    # Notices to a person (an institution's people): ``services.person_notice_enqueue``.
    EMAIL = "email", _("E-mail (SMTP)")
    SMS = "sms", _("SMS gateway")
    PORTAL = "portal", _("Institution portal inbox")


# What a secret notice's payload keeps once it has been delivered (or has failed for good).
REDACTED = "[redacted]"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")


class PushDelivery(models.Model):
    """One notice on one channel: its payload, its attempts and their outcome."""

    topic = models.CharField(_("topic"), max_length=64, db_index=True)
    subject_type = models.ForeignKey(ContentType, verbose_name=_("subject type"), on_delete=models.PROTECT)
    subject_id = models.PositiveBigIntegerField(_("subject id"))
    subject = GenericForeignKey("subject_type", "subject_id")
    subject_label = models.CharField(
        _("subject"), max_length=255, blank=True, help_text=_("What the notice is about, as its sender named it.")
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    # Whose endpoint the channel sends to: a county's code (``COUNTY_CHANNELS``), or empty for the
    # deployment's default; set by the sender, never changed.
    destination = models.CharField(_("destination"), max_length=12, blank=True, default="")
    # One key per notice, shared by its channels; the webhook sends it as Idempotency-Key.
    idempotency_key = models.UUIDField(_("idempotency key"), default=uuid.uuid4, editable=False)
    payload = models.JSONField(_("payload"), default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING, db_index=True
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    last_response_status = models.PositiveSmallIntegerField(_("last response status"), null=True, blank=True)
    last_response_body = models.TextField(_("last response body"), blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    # The lease of the attempt in progress: no other worker claims the row before this time.
    locked_until = models.DateTimeField(_("locked until"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    # A one-time secret (an invitation or reset link, a code): its text is sent, never kept
    # readable: the payload is redacted after the attempt that delivers it, or fails for good,
    # and no history row ever holds it (``services.person_notice_enqueue``).
    secret = models.BooleanField(_("secret"), default=False)
    # The portal inbox (``Channel.PORTAL``): when one of the institution's people first opened it.
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    read_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("read by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    # Every attempt and every re-queue (with who did it): ``last_error`` only holds the latest.
    history = HistoricalRecords(
        verbose_name=_("historical push delivery"),
        excluded_fields=["updated_at", "locked_until"],
        user_model=settings.AUTH_USER_MODEL,
    )

    # Visible as its subject is, through the subject model's own declaration.
    scope = ScopePath.subject("subject_type", "subject_id")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("push delivery")
        verbose_name_plural = _("push deliveries")
        constraints = [
            models.UniqueConstraint(
                fields=["subject_type", "subject_id", "topic", "channel"], name="uniq_delivery_subject_topic_channel"
            ),
            models.UniqueConstraint(fields=["idempotency_key", "channel"], name="uniq_delivery_key_channel"),
        ]
        indexes = [models.Index(fields=["subject_type", "subject_id"], name="exchange_delivery_subject_idx")]

    def __str__(self):
        return f"{self.subject_label or self.topic} → {self.get_channel_display()}"
