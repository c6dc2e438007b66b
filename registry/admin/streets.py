"""Django admin for streets and their population figures (district reference data)."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from luchen_care.accounts.permissions import administers_district, works_in_admin
from luchen_care.core.admin import ScopedAdmin, ScopedHistoryAdmin, StaffAdminPermissions

from ..models import Street, StreetPopulation
from ..services.streets import street_population_save


class StreetPopulationInline(admin.TabularInline):
    model = StreetPopulation
    extra = 0
    fields = ["year", "population", "source", "history_link"]
    readonly_fields = ["history_link"]

    @admin.display(description=_("history"))
    def history_link(self, obj):
        # Each figure's changes (who, when, old → new) are on its own history page.
        if obj is None or obj.pk is None:
            return ""
        url = reverse("admin:registry_streetpopulation_history", args=[obj.pk])
        return format_html('<a href="{}" class="population-history">{}</a>', url, _("History"))

    def has_view_permission(self, request, obj=None):
        return works_in_admin(request.user)

    def has_add_permission(self, request, obj=None):
        return administers_district(request.user)

    def has_change_permission(self, request, obj=None):
        return administers_district(request.user)

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Street)
class StreetAdmin(StaffAdminPermissions, ScopedAdmin):
    list_display = ["code", "name", "kind"]
    search_fields = ["name", "code"]
    inlines = [StreetPopulationInline]
    readonly_fields = ["code", "name", "kind"]

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)

    def may_change(self, user, obj):
        # Streets themselves are fixed (never added or deleted); the bureau edits their population rows.
        return administers_district(user)

    def save_formset(self, request, form, formset, change):
        for instance in formset.save(commit=False):
            street_population_save(population=instance, actor=request.user)


@admin.register(StreetPopulation)
class StreetPopulationAdmin(StaffAdminPermissions, ScopedHistoryAdmin):
    # Reference data: whoever may change a figure may revert it, through the same service.
    history_revert = True
    list_display = ["street", "year", "population", "source", "modified_by", "modified_at"]
    list_filter = ["street", "year"]

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)

    def has_module_permission(self, request):
        return False  # edited inline on each street; kept registered for its history

    def may_change(self, user, obj):
        return administers_district(user)

    def may_add(self, user):
        return administers_district(user)

    def save_model(self, request, obj, form, change):
        street_population_save(population=obj, actor=request.user)


# Registrations have their own module (added here so autodiscovery loads it).
