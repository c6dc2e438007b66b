"""Admin pages of the push pipeline, for the health bureau: read-only records, one action.

- 推送记录 (push deliveries): every channel's delivery with its attempts, last error and the
  kept response; failed ones can be re-queued. Its history lists every attempt and who
  re-queued it, when.
- 待备案登记 (registrations awaiting filing): the bureau's inbox, built from delivered
  inbox deliveries.
- 逾期推送日报 (overdue digests): one row per day.
"""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from luchen_care.accounts.permissions import administers_district
from luchen_care.core.admin import ScopedAdmin, ScopedHistoryAdmin

from .models import DigestRun, InboxEntry, PushDelivery
from .services import deliveries_requeue


class BureauReadOnlyAdmin(ScopedAdmin):
    """Visible to the health bureau and superusers; nobody edits, adds or deletes here."""

    def has_module_permission(self, request):
        return administers_district(request.user)

    def has_view_permission(self, request, obj=None):
        return administers_district(request.user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(PushDelivery)
class PushDeliveryAdmin(ScopedHistoryAdmin, BureauReadOnlyAdmin):
    list_display = [
        "registration",
        "institution_name",
        "channel",
        "status",
        "attempts",
        "last_response_status",
        "next_attempt_at",
        "delivered_at",
        "created_at",
    ]
    list_filter = ["channel", "status"]
    search_fields = [
        "registration__registration_number",
        "registration__institution__name",
        "registration__institution__credit_code",
        "idempotency_key",
    ]
    list_select_related = ["registration__institution"]
    date_hierarchy = "created_at"
    actions = ["requeue"]
    readonly_fields = [
        "registration",
        "channel",
        "idempotency_key",
        "status",
        "attempts",
        "last_error",
        "last_response_status",
        "last_response_body",
        "next_attempt_at",
        "delivered_at",
        "created_at",
        "updated_at",
    ]

    history_list_display = ["status", "attempts", "last_error"]

    @admin.display(description=_("institution"), ordering="registration__institution__name")
    def institution_name(self, obj):
        return obj.registration.institution.name

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


@admin.register(InboxEntry)
class InboxEntryAdmin(BureauReadOnlyAdmin):
    """The health bureau's inbox: registrations received, for which the institution must file."""

    list_display = [
        "institution_name",
        "credit_code",
        "authority",
        "registration_number",
        "kind",
        "registered_on",
        "delivered_at",
        "institution_status",
    ]
    list_filter = ["registration__authority", "registration__kind", "registration__institution__status"]
    search_fields = ["registration__registration_number", "registration__institution__name"]
    list_select_related = ["registration__institution"]
    fields = ["registration", "delivered_at"]
    readonly_fields = fields

    @admin.display(description=_("institution"), ordering="registration__institution__name")
    def institution_name(self, obj):
        return obj.registration.institution.name

    @admin.display(description=_("unified social credit code"))
    def credit_code(self, obj):
        return obj.registration.institution.credit_code

    @admin.display(description=_("registration authority"), ordering="registration__authority")
    def authority(self, obj):
        return obj.registration.get_authority_display()

    @admin.display(description=_("registration number"))
    def registration_number(self, obj):
        return obj.registration.registration_number

    @admin.display(description=_("kind of registration"))
    def kind(self, obj):
        return obj.registration.get_kind_display()

    @admin.display(description=_("registered on"), ordering="registration__registered_on")
    def registered_on(self, obj):
        return obj.registration.registered_on

    @admin.display(description=_("institution status"))
    def institution_status(self, obj):
        return obj.registration.institution.get_status_display()


@admin.register(DigestRun)
class DigestRunAdmin(BureauReadOnlyAdmin):
    list_display = ["date", "overdue_count", "channels_done", "attempts", "sent_at"]
    readonly_fields = [
        "date",
        "idempotency_key",
        "registration_ids",
        "channels_done",
        "attempts",
        "last_error",
        "sent_at",
        "created_at",
    ]

    @admin.display(description=_("overdue"))
    def overdue_count(self, obj):
        return len(obj.registration_ids)
