"""The registry's dated policy rows in the admin: the health bureau enters and corrects them, other staff read.

Saving goes through ``push_window_policy_save``: a rule that counted deadlines keeps its
day and figure, and a new rule cannot reach back over registrations already counted.
Rows are never deleted (registrations protect them) and never reverted from their history.
"""

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from luchen_care.core.admin import ScopedHistoryAdmin, StaffAdminPermissions

from ..models import PushWindowPolicy
from ..services.policies import can_change_push_window, push_window_policy_save, push_window_policy_validate

AUDIT_FIELDS = ["created_at", "created_by", "modified_at", "modified_by"]


@admin.register(PushWindowPolicy)
class PushWindowPolicyAdmin(StaffAdminPermissions, ScopedHistoryAdmin):
    list_display = [
        "effective_from",
        "county",
        "working_days",
        "legal_source",
        "registration_count",
        "modified_by",
        "modified_at",
    ]
    date_hierarchy = "effective_from"
    search_fields = ["legal_source", "note"]
    fields = ["county", "effective_from", "working_days", "legal_source", "note", "registration_count", *AUDIT_FIELDS]
    list_filter = ["county"]
    history_list_display = ["effective_from", "working_days", "legal_source"]

    @admin.display(description=_("registrations counted under it"))
    def registration_count(self, obj):
        return obj.registrations.count() if obj and obj.pk else 0

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user).select_related("county")

    def get_readonly_fields(self, request, obj=None):
        readonly = ["registration_count", *AUDIT_FIELDS]
        if not request.user.is_superuser or obj is not None:
            readonly.insert(0, "county")  # a county's bureau enters its own county's rows
        if obj is not None and obj.registrations.exists():
            # Its day and figure counted deadlines: correct the source or the note, or add a new rule.
            readonly = ["effective_from", "working_days", *readonly]
        return readonly

    def may_add(self, user):
        return can_change_push_window(user)

    def may_change(self, user, obj):
        return can_change_push_window(user, obj)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)

        class Form(form):
            def _post_clean(self):
                super()._post_clean()
                if not self.errors and request.user.is_authenticated:
                    if self.instance.pk is None and not request.user.is_superuser:
                        self.instance.county_id = request.user.county_id
                    # The service's rules, shown on the form's fields rather than as a server error.
                    try:
                        push_window_policy_validate(policy=self.instance)
                    except ValidationError as exc:
                        self._update_errors(exc)

        return Form

    def save_model(self, request, obj, form, change):
        push_window_policy_save(policy=obj, actor=request.user)
