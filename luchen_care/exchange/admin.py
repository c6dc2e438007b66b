"""Admin pages of the outbox, for the district bureaus: read-only records, one action.

- 推送记录 (push deliveries): every notice's delivery on each channel, with its topic and
  subject as the sender named it, its attempts, last error and the kept response; failed
  ones can be re-queued. Its history lists every attempt and who re-queued it, when.
- Notices to people (e-mail, SMS, the institution's portal inbox) are listed here too; a secret
  one's text (an invitation or reset link, a one-time code) is never shown, and no re-queue sends
  it again (its sender starts a new step).
- Each bureau reads the deliveries whose subject it sees (``PushDelivery.objects.visible_to``:
  the health bureau all of them, the education bureau its nursery classes'); re-queuing is
  the health bureau's alone (``administers_district``).

The pages about what was said (an inbox of the records a notice was about, a daily digest's
runs) belong to the apps that send.
"""

import json

from django.contrib import admin, messages
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from luchen_care.accounts.permissions import administers_district
from luchen_care.core.admin import BureauReadOnlyAdmin, ScopedHistoryAdmin

from .models import REDACTED, PushDelivery
from .services import deliveries_requeue


@admin.register(PushDelivery)
class PushDeliveryAdmin(ScopedHistoryAdmin, BureauReadOnlyAdmin):
    list_display = [
        "subject_label",
        "topic",
        "channel",
        "destination",
        "status",
        "attempts",
        "last_response_status",
        "next_attempt_at",
        "delivered_at",
        "created_at",
    ]
    list_filter = ["topic", "channel", "status", "secret"]
    search_fields = ["subject_label", "idempotency_key"]
    date_hierarchy = "created_at"
    actions = ["requeue"]
    # The payload is shown through ``payload_shown`` only (a secret's text never), not as a field.
    exclude = ["payload"]
    readonly_fields = [
        "topic",
        "subject_label",
        "subject_type",
        "subject_id",
        "channel",
        "destination",
        "idempotency_key",
        "status",
        "attempts",
        "last_error",
        "last_response_status",
        "last_response_body",
        "next_attempt_at",
        "locked_until",
        "delivered_at",
        "secret",
        "read_at",
        "read_by",
        "created_at",
        "updated_at",
        "payload_shown",
    ]

    history_list_display = ["status", "attempts", "last_error"]

    @admin.display(description=_("payload"))
    def payload_shown(self, obj):
        """The stored payload, except a secret notice's text (an invitation link, a code), never shown."""
        payload = dict(obj.payload or {})
        if obj.secret and "text" in payload:
            payload["text"] = REDACTED
        return format_html("<pre>{}</pre>", json.dumps(payload, ensure_ascii=False, indent=2, sort_keys=True))

    def has_requeue_permission(self, request):
        return administers_district(request.user)

    @admin.action(description=_("Re-queue the selected failed deliveries"), permissions=["requeue"])
    def requeue(self, request, queryset):
        count = deliveries_requeue(delivery_ids=queryset.values_list("pk", flat=True), actor=request.user)
        self.message_user(
            request,
            ngettext("%(count)d failed delivery re-queued.", "%(count)d failed deliveries re-queued.", count)
            % {"count": count},
            messages.SUCCESS if count else messages.WARNING,
        )
