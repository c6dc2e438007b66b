"""The transactional outbox: one delivery record per registration and channel.

A delivery row is written in the same transaction as its registration, so a
registration is never saved without its pushes; Celery tasks then deliver them.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class Channel(models.TextChoices):
    WEBHOOK = "webhook", _("Health bureau exchange endpoint (HTTP)")
    DINGTALK = "dingtalk", _("DingTalk group robot")
    INBOX = "inbox", _("Health bureau inbox in the platform")


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")


class PushDelivery(models.Model):
    registration = models.ForeignKey(
        "registry.Registration",
        verbose_name=_("registration"),
        on_delete=models.PROTECT,
        related_name="deliveries",
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    idempotency_key = models.UUIDField(_("idempotency key"), default=uuid.uuid4, unique=True, editable=False)
    status = models.CharField(
        _("status"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING, db_index=True
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    last_response_status = models.PositiveSmallIntegerField(_("last response status"), null=True, blank=True)
    last_response_body = models.TextField(_("last response body"), blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    # Every attempt and every re-queue (with who did it): ``last_error`` only holds the latest.
    history = HistoricalRecords(
        verbose_name=_("historical push delivery"),
        excluded_fields=["updated_at"],
        user_model=settings.AUTH_USER_MODEL,
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("push delivery")
        verbose_name_plural = _("push deliveries")
        constraints = [
            models.UniqueConstraint(fields=["registration", "channel"], name="uniq_delivery_registration_channel"),
        ]

    def __str__(self):
        return f"{self.registration} → {self.get_channel_display()}"


class InboxEntryManager(models.Manager):
    def get_queryset(self):
        return super().get_queryset().filter(channel=Channel.INBOX, status=DeliveryStatus.DELIVERED)


class InboxEntry(PushDelivery):
    """A registration that has reached the health bureau's inbox in the platform and awaits
    the institution's filing (待备案登记). A read-only view of delivered inbox deliveries."""

    objects = InboxEntryManager()

    class Meta:
        proxy = True
        ordering = ["-delivered_at"]
        verbose_name = _("registration awaiting filing")
        verbose_name_plural = _("registrations awaiting filing")


class DigestRun(models.Model):
    """The daily digest of overdue pushes (逾期推送日报): at most one per day.

    ``registration_ids`` is the overdue list as taken when the day's run began, so a retry
    sends the same digest; ``channels_done`` lists the channels that have it.
    """

    date = models.DateField(_("date"), unique=True)
    idempotency_key = models.UUIDField(_("idempotency key"), default=uuid.uuid4, unique=True, editable=False)
    registration_ids = models.JSONField(_("overdue registrations"), default=list)
    channels_done = models.JSONField(_("channels delivered"), default=list)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-date"]
        verbose_name = _("overdue digest")
        verbose_name_plural = _("overdue digests")

    def __str__(self):
        return f"{self.date}: {len(self.registration_ids)}"
