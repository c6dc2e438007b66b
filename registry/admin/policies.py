"""The registry's dated policy rows in the admin: the health bureau enters and corrects them, other staff read.

Saving goes through each policy's save service (``registry.services.policies``): a rule that
counted deadlines (or compared fees) keeps its day and figures, and a new rule cannot reach back
over registrations or filings already counted. A county's health bureau enters its own county's
rows; the defaults every county follows are the superuser's. Rows are never deleted (the records
counted under them protect them) and never reverted from their history.
"""

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from luchen_care.core.admin import ScopedHistoryAdmin, StaffAdminPermissions

from ..models import FilingDeadlinePolicy, GuidedFeePolicy, PushWindowPolicy
from ..services.policies import (
    can_change_policy,
    filing_deadline_policy_save,
    filing_deadline_policy_validate,
    guided_fee_policy_save,
    guided_fee_policy_validate,
    push_window_policy_save,
    push_window_policy_validate,
)

AUDIT_FIELDS = ["created_at", "created_by", "modified_at", "modified_by"]


class DatedPolicyAdmin(StaffAdminPermissions, ScopedHistoryAdmin):
    """One dated policy's rows. A subclass names its figures (frozen once the row counted records),
    the count of records counted under a row (``counted``, shown as ``counted_count``), and its
    validate and save services."""

    figures: list = []
    counted = ""  # the reverse relation of the records counted under a row
    validate_service = save_service = None  # staticmethod(service)
    date_hierarchy = "effective_from"
    search_fields = ["legal_source", "note"]
    list_filter = ["county"]

    def get_fields(self, request, obj=None):
        return ["county", "effective_from", *self.figures, "legal_source", "note", "counted_count", *AUDIT_FIELDS]

    def get_list_display(self, request):
        return [
            "effective_from",
            "county",
            *self.figures,
            "legal_source",
            "counted_count",
            "modified_by",
            "modified_at",
        ]

    @admin.display(description=_("records counted under it"))
    def counted_count(self, obj):
        return getattr(obj, self.counted).count() if obj and obj.pk else 0

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user).select_related("county", "modified_by")

    def get_readonly_fields(self, request, obj=None):
        readonly = ["counted_count", *AUDIT_FIELDS]
        if not request.user.is_superuser or obj is not None:
            readonly.insert(0, "county")  # a county's bureau enters its own county's rows
        if obj is not None and getattr(obj, self.counted).exists():
            # Its day and figures counted records: correct the source or the note, or add a new rule.
            readonly = ["effective_from", *self.figures, *readonly]
        return readonly

    def may_add(self, user):
        return can_change_policy(user)

    def may_change(self, user, obj):
        return can_change_policy(user, obj)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        validate = type(self).validate_service

        class Form(form):
            def _post_clean(self):
                super()._post_clean()
                if not self.errors and request.user.is_authenticated:
                    if self.instance.pk is None and not request.user.is_superuser:
                        self.instance.county_id = request.user.county_id
                    # The service's rules, shown on the form's fields rather than as a server error.
                    try:
                        validate(policy=self.instance)
                    except ValidationError as exc:
                        self._update_errors(exc)

        return Form

    def save_model(self, request, obj, form, change):
        type(self).save_service(policy=obj, actor=request.user)


@admin.register(PushWindowPolicy)
class PushWindowPolicyAdmin(DatedPolicyAdmin):
    figures = ["working_days"]
    counted = "registrations"
    validate_service = staticmethod(push_window_policy_validate)
    save_service = staticmethod(push_window_policy_save)
    history_list_display = ["effective_from", "working_days", "legal_source"]

    @admin.display(description=_("registrations counted under it"))
    def counted_count(self, obj):
        return super().counted_count(obj)


@admin.register(FilingDeadlinePolicy)
class FilingDeadlinePolicyAdmin(DatedPolicyAdmin):
    figures = ["receipt_working_days", "notice_working_days", "site_check_required"]
    counted = "filings"
    validate_service = staticmethod(filing_deadline_policy_validate)
    save_service = staticmethod(filing_deadline_policy_save)
    history_list_display = ["effective_from", "receipt_working_days", "notice_working_days", "site_check_required"]

    @admin.display(description=_("filings counted under it"))
    def counted_count(self, obj):
        return super().counted_count(obj)


@admin.register(GuidedFeePolicy)
class GuidedFeePolicyAdmin(DatedPolicyAdmin):
    figures = ["full_day_min", "full_day_max", "half_day_min", "half_day_max"]
    counted = "filings"
    validate_service = staticmethod(guided_fee_policy_validate)
    save_service = staticmethod(guided_fee_policy_save)
    history_list_display = ["effective_from", "full_day_max", "half_day_max"]

    @admin.display(description=_("filings compared with it"))
    def counted_count(self, obj):
        return super().counted_count(obj)
