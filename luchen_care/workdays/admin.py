"""Working-day overrides: the health bureau enters closures (e.g. typhoon days) and next year's holidays."""

import chinese_calendar
from django.contrib import admin
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from luchen_care.accounts.permissions import administers_district
from luchen_care.core.admin import ScopedHistoryAdmin, StaffAdminPermissions

from .calendar import package_knows
from .models import WorkdayOverride
from .services import workday_override_delete, workday_override_save, workday_overrides_delete


@admin.register(WorkdayOverride)
class WorkdayOverrideAdmin(StaffAdminPermissions, ScopedHistoryAdmin):
    # Reference data: whoever may change a day may revert it, through workday_override_save.
    history_revert = True
    list_display = ["date", "weekday", "is_working_day", "reason", "package_says", "modified_by", "modified_at"]
    list_filter = ["is_working_day"]
    date_hierarchy = "date"
    search_fields = ["reason"]
    fields = ["date", "is_working_day", "reason", "created_at", "created_by", "modified_at", "modified_by"]
    readonly_fields = ["created_at", "created_by", "modified_at", "modified_by"]
    history_list_display = ["is_working_day", "reason"]

    @admin.display(description=_("weekday"))
    def weekday(self, obj):
        return date_format(obj.date, "l")

    @admin.display(description=_("packaged calendar"))
    def package_says(self, obj):
        if not package_knows(obj.date.year):
            return _("not published yet")
        return _("working day") if chinese_calendar.is_workday(obj.date) else _("day off")

    def may_add(self, user):
        return administers_district(user)

    def may_change(self, user, obj):
        return administers_district(user)

    def may_delete(self, user, obj):
        # A row entered by mistake may be removed; the deletion stays in the history.
        return administers_district(user)

    # Saving and deleting go through the services: they recount the deadlines the day moves.
    def save_model(self, request, obj, form, change):
        workday_override_save(override=obj, actor=request.user)

    def delete_model(self, request, obj):
        workday_override_delete(override=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        workday_overrides_delete(overrides=list(queryset), actor=request.user)
