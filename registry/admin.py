"""Django admin for bureau staff. Scoping and write rules come from the registry, not from here."""

from django import forms
from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ERROR_FLAG
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from simple_history.template_utils import HistoricalRecordContextHelper

from luchen_care.accounts.permissions import administers_district, works_in_admin
from luchen_care.core.admin import ScopedAdmin, ScopedHistoryAdmin

from .exports import export_filename, institutions_workbook
from .models import Institution, InstitutionClass, Street, StreetPopulation
from .permissions import can_change_institution, can_create_institution, can_write_institution
from .selectors import institution_class_history
from .services import (
    institution_check_transition,
    institution_save,
    institution_stored_status,
    street_population_save,
)
from .validators import normalize_credit_code


class LabelledHistoryHelper(HistoricalRecordContextHelper):
    """The change history shows choice labels and yes/no, as the form does, not stored values."""

    def prepare_delta_change_value(self, change, value):
        field = self.model._meta.get_field(change.field)
        if value is None:
            return ""  # shown as a dash, not "None"
        if field.choices and value != "":
            return dict(field.flatchoices).get(value, value)
        if isinstance(value, bool):
            return _("Yes") if value else _("No")
        return super().prepare_delta_change_value(change, value)


class InstitutionClassInline(admin.TabularInline):
    model = InstitutionClass
    extra = 0
    fields = ["class_type", "class_count", "capacity"]

    def has_view_permission(self, request, obj=None):
        return works_in_admin(request.user)

    def has_add_permission(self, request, obj=None):
        return can_change_institution(request.user, obj) if obj else can_create_institution(request.user)

    def has_change_permission(self, request, obj=None):
        return can_change_institution(request.user, obj) if obj else can_create_institution(request.user)

    def has_delete_permission(self, request, obj=None):
        return self.has_change_permission(request, obj)


class InstitutionAdminForm(forms.ModelForm):
    # The user the form is for; ``InstitutionAdmin.get_form`` sets it.
    actor = None

    class Meta:
        model = Institution
        fields = "__all__"

    def clean_credit_code(self):
        # Stored in capitals: compare and check uniqueness as it will be stored.
        return normalize_credit_code(self.cleaned_data.get("credit_code"))

    def clean(self):
        cleaned = super().clean()
        kind = cleaned.get("kind")
        if self.actor is not None and kind:
            stored = self.instance if self.instance.pk else None
            if not can_write_institution(self.actor, kind=kind, stored=stored):
                self.add_error("kind", _("You may not register or change institutions of this kind."))
        status = cleaned.get("status")
        if status:
            try:
                institution_check_transition(old_status=institution_stored_status(self.instance), new_status=status)
            except ValidationError as exc:
                self.add_error(None, exc)
        return cleaned


@admin.register(Institution)
class InstitutionAdmin(ScopedHistoryAdmin):
    form = InstitutionAdminForm
    change_list_template = "admin/registry/institution/change_list.html"
    list_display = [
        "name",
        "credit_code",
        "street",
        "kind",
        "ownership",
        "inclusive",
        "approved_places",
        "status",
        "registered_on",
    ]
    # The street filter offers only the streets in the user's scope (a street office sees its own).
    list_filter = [
        ("street", admin.RelatedOnlyFieldListFilter),
        "kind",
        "ownership",
        "inclusive",
        "status",
        "for_profit",
        "demonstration_level",
    ]
    search_fields = ["name", "credit_code"]
    list_select_related = ["street"]
    list_per_page = 50
    autocomplete_fields = ["head_office"]
    inlines = [InstitutionClassInline]
    history_list_display = ["status"]
    # The institution's history, and below it the changes to its classes.
    object_history_template = "admin/registry/institution/object_history.html"
    readonly_fields = [
        "archived",
        "archived_on",
        "archived_by",
        "archived_reason",
        "created_at",
        "created_by",
        "modified_at",
        "modified_by",
    ]
    fieldsets = [
        (None, {"fields": ["name", "credit_code", "kind", "street", "address"]}),
        (_("Ownership"), {"fields": ["ownership", "for_profit", "inclusive", "registration_authority"]}),
        (_("Operator"), {"fields": ["legal_representative", "contact_phone"]}),
        (
            _("Capacity and standing"),
            {"fields": ["approved_places", "head_office", "demonstration_level", "livelihood_project"]},
        ),
        (
            _("Lifecycle"),
            {"fields": ["status", "registered_on", "filed_on", "operating_since", "suspended_on", "closed_on"]},
        ),
        (
            _("Record"),
            {
                "classes": ["collapse"],
                "fields": readonly_fields,
            },
        ),
    ]

    def get_queryset(self, request):
        return Institution.objects.visible_to(request.user).select_related("street")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "head_office":
            # A chain head office is chosen among the institutions the user may see, even in a hand-made POST.
            kwargs["queryset"] = Institution.objects.visible_to(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.actor = request.user
        return form

    def history_extra_context(self, request, obj):
        # Below the institution's own history, the changes to its classes (their own rows).
        return {"class_history": institution_class_history(institution=obj)}

    def get_historical_record_context_helper(self, request, historical_record):
        return LabelledHistoryHelper(self.model, historical_record)

    def has_module_permission(self, request):
        return works_in_admin(request.user)

    def has_view_permission(self, request, obj=None):
        return works_in_admin(request.user)

    def has_add_permission(self, request):
        return works_in_admin(request.user) and can_create_institution(request.user)

    def has_change_permission(self, request, obj=None):
        return works_in_admin(request.user) and can_change_institution(request.user, obj)

    def has_delete_permission(self, request, obj=None):
        return False  # institutions are closed and archived, never deleted

    def get_actions(self, request):
        return {}

    def save_model(self, request, obj, form, change):
        institution_save(institution=obj, actor=request.user)

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        extra = [
            path(
                "export/",
                self.admin_site.admin_view(self.export_view),
                name="{}_{}_export".format(*info),
            )
        ]
        return extra + super().get_urls()

    def export_view(self, request):
        """The changelist as filtered and searched, as an Excel file; scoping applies."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            changelist = self.get_changelist_instance(request)
        except IncorrectLookupParameters:
            # As the changelist does: back to it, which says that the filter was not understood.
            return HttpResponseRedirect(f"{reverse('admin:registry_institution_changelist')}?{ERROR_FLAG}=1")
        queryset = changelist.get_queryset(request)
        response = HttpResponse(
            institutions_workbook(queryset, user=request.user),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = f'attachment; filename="{export_filename()}"'
        return response

    def changelist_view(self, request, extra_context=None):
        extra_context = extra_context or {}
        extra_context["export_url"] = reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_export")
        return super().changelist_view(request, extra_context)


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
class StreetAdmin(ScopedAdmin):
    list_display = ["code", "name", "kind"]
    search_fields = ["name", "code"]
    inlines = [StreetPopulationInline]
    readonly_fields = ["code", "name", "kind"]

    def has_module_permission(self, request):
        return works_in_admin(request.user)

    def has_view_permission(self, request, obj=None):
        return works_in_admin(request.user)

    def has_change_permission(self, request, obj=None):
        # Streets themselves are fixed; the bureau edits their population rows.
        return administers_district(request.user)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_formset(self, request, form, formset, change):
        for instance in formset.save(commit=False):
            street_population_save(population=instance, actor=request.user)


@admin.register(StreetPopulation)
class StreetPopulationAdmin(ScopedHistoryAdmin):
    # Reference data: whoever may change a figure may revert it, through the same service.
    history_revert = True
    list_display = ["street", "year", "population", "source", "modified_by", "modified_at"]
    list_filter = ["street", "year"]

    def has_module_permission(self, request):
        return False  # edited inline on each street; kept registered for its history

    def has_view_permission(self, request, obj=None):
        return works_in_admin(request.user)

    def has_change_permission(self, request, obj=None):
        return administers_district(request.user)

    def has_add_permission(self, request):
        return administers_district(request.user)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        street_population_save(population=obj, actor=request.user)


# Registrations have their own module (added here so autodiscovery loads it).
from . import registration_admin  # noqa: E402, F401
