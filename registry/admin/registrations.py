"""Registrations in the admin: entered by registration authorities, read-only once recorded, with their SLA.

Adding goes through ``registration_record``; the import and the SLA report are pages of
this admin. Scoping is ``Registration.objects.visible_to``.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import AdminDateWidget
from django.contrib.contenttypes.admin import GenericTabularInline
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.http import content_disposition_header
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from luchen_care.accounts.models import Authority
from luchen_care.accounts.permissions import works_in_admin
from luchen_care.audit.admin import LogsPersonalDataPages
from luchen_care.audit.models import AccessAction, Face
from luchen_care.audit.services import personal_data_access_record
from luchen_care.core.admin import (
    BureauReadOnlyAdmin,
    ScopedHistoryAdmin,
    ScopedRelatedFieldListFilter,
    StaffAdminPermissions,
)
from luchen_care.core.imports import views as import_views
from luchen_care.documents.selectors import document_file
from luchen_care.exchange.models import PushDelivery

from ..forms.registrations import CORRECTION_FIELD, REGISTRATION_FIELDS, RegistrationForm
from ..imports import REGISTRATION_IMPORT, registration_kind_for
from ..models import DigestRun, InboxEntry, Registration, RegistrationSource
from ..permissions import can_correct_registration, can_record_registration, recordable_authorities
from ..selectors.policies import push_window_current
from ..selectors.registrations import (
    RECENT_DAYS,
    registration_sla_report,
    registrations_awaiting_filing,
    registrations_deadline_ahead,
    registrations_due_today,
    registrations_recent,
)
from ..services.receipts import registration_receipt
from ..services.registrations import registration_record


class OverdueFilter(admin.SimpleListFilter):
    title = _("overdue")
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", _("Overdue")), ("no", _("Not overdue"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.overdue()
        if self.value() == "no":
            return queryset.exclude(pk__in=queryset.overdue().values("pk"))
        return queryset


class PushDueFilter(admin.SimpleListFilter):
    """Not yet pushed, by deadline: due today, or still ahead (the overdue are ``OverdueFilter``'s)."""

    title = _("push due")
    parameter_name = "due"

    def lookups(self, request, model_admin):
        return [("today", _("Due today")), ("ahead", _("Deadline ahead"))]

    def queryset(self, request, queryset):
        if self.value() == "today":
            return registrations_due_today(queryset)
        if self.value() == "ahead":
            return registrations_deadline_ahead(queryset)
        return queryset


class RecentFilter(admin.SimpleListFilter):
    """Registered in the last ``RECENT_DAYS`` days (a street office's workbench opens on it)."""

    title = _("recently registered")
    parameter_name = "recent"

    def lookups(self, request, model_admin):
        return [("yes", gettext("In the last %(days)d days") % {"days": RECENT_DAYS})]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return registrations_recent(queryset)
        return queryset


class RegistrationAddForm(RegistrationForm, forms.ModelForm):
    """The admin's add page of a registration: the one input declaration, ``RegistrationForm``
    (its fields, rules and messages), with the admin's widgets; ``registration_record`` saves it."""

    class Meta:
        model = Registration
        fields = []

    def __init__(self, *args, actor=None, **kwargs):
        super().__init__(*args, actor=actor, **kwargs)
        self.fields["registered_on"].widget = AdminDateWidget()
        if not can_correct_registration(actor):
            del self.fields[CORRECTION_FIELD]  # the health bureau's alone
        own = recordable_authorities(actor)
        self.fields["authority"].choices = [(a, Authority(a).label) for a in own]
        if len(own) == 1:
            self.fields["authority"].initial = own[0]

    def registration_fields(self):
        """The service's input: the declaration's fields, as cleaned."""
        return {name: self.cleaned_data.get(name) for name in (*REGISTRATION_FIELDS, CORRECTION_FIELD)}

    def _post_clean(self):
        # The fields share names with the model's, but the instance stays empty until the
        # service builds it: the declaration validates, not ModelForm's instance check.
        pass


class PushDeliveryInline(GenericTabularInline):
    """The registration's outbox rows (its push on each channel), read-only."""

    model = PushDelivery
    ct_field, ct_fk_field = "subject_type", "subject_id"
    extra = 0
    can_delete = False
    fields = ["channel", "status", "attempts", "last_error", "delivered_at"]
    readonly_fields = fields
    verbose_name_plural = _("push deliveries")

    def get_queryset(self, request):
        # Scoped like every other face, not only by the registration page it sits on.
        return super().get_queryset(request).visible_to(request.user)

    def has_view_permission(self, request, obj=None):
        return works_in_admin(request.user)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class RegistrationAdmin(LogsPersonalDataPages, StaffAdminPermissions, ScopedHistoryAdmin):
    change_list_template = "admin/registry/registration/change_list.html"
    change_form_template = "admin/registry/registration/change_form.html"
    list_display = [
        "registration_number",
        "authority",
        "kind",
        "institution",
        "registered_on",
        "deadline",
        "push_status",
        "pushed_at",
        "on_time",
        "overdue",
        "source",
    ]
    list_filter = [
        OverdueFilter,
        PushDueFilter,
        RecentFilter,
        ("institution__street", ScopedRelatedFieldListFilter),  # the streets of the user's rows only
        "push_status",
        "authority",
        "kind",
        "source",
        "push_deadline_provisional",
    ]
    search_fields = ["registration_number", "institution__name", "institution__credit_code"]
    list_select_related = ["institution"]
    date_hierarchy = "registered_on"
    list_per_page = 50
    history_list_display = ["push_deadline", "push_deadline_provisional", "push_status"]
    inlines = [PushDeliveryInline]
    add_fieldsets = [(None, {"fields": list(REGISTRATION_FIELDS)})]
    change_fields = [
        "institution",
        "authority",
        "registration_number",
        "registered_on",
        "kind",
        "source",
        "correction_reason",
        "registered_data",
        "deadline",
        "push_rule",
        "push_status",
        "pushed_at",
        "on_time",
        "created_at",
        "created_by",
    ]

    # --- what each row shows ---------------------------------------------------

    @admin.display(description=_("push deadline"), ordering="push_deadline")
    def deadline(self, obj):
        if obj.push_deadline_provisional:
            return format_html(
                '{} <span class="provisional" title="{}">({})</span>',
                obj.push_deadline.isoformat(),
                gettext("Counted Monday to Friday until the official holiday calendar for that year is known."),
                gettext("provisional"),
            )
        return obj.push_deadline.isoformat()

    @admin.display(description=_("data as registered"))
    def registered_data(self, obj):
        labels = {name: field.label for name, field in RegistrationForm.base_fields.items()}
        rows = format_html_join(
            "",
            "<tr><th>{}</th><td>{}</td></tr>",
            ((labels[key], obj.data[key]) for key in REGISTRATION_FIELDS if key in obj.data),
        )
        return format_html('<table class="registered-data">{}</table>', rows)

    @admin.display(description=_("pushed on time"), boolean=True)
    def on_time(self, obj):
        return obj.pushed_on_time

    @admin.display(description=_("overdue"))
    def overdue(self, obj):
        if obj.is_overdue:
            return format_html('<strong class="overdue" style="color: var(--error-fg)">{}</strong>', gettext("Overdue"))
        return ""

    # --- who may do what -------------------------------------------------------

    def get_queryset(self, request):
        return Registration.objects.visible_to(request.user).select_related("institution")

    def personal_data_county(self, obj):
        # The data as registered names the legal representative (change, history and version pages).
        return obj.institution.street.county_id

    # Read by whoever works in the admin; never changed or deleted: a registration is recorded
    # as the authority registered it.
    def may_add(self, user):
        return can_record_registration(user)

    def get_actions(self, request):
        return {}

    # --- adding through the service ----------------------------------------------

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            if can_correct_registration(request.user):
                return [*self.add_fieldsets, (_("Correction by the health bureau"), {"fields": [CORRECTION_FIELD]})]
            return self.add_fieldsets
        return [(None, {"fields": self.change_fields})]

    def get_readonly_fields(self, request, obj=None):
        return self.change_fields if obj is not None else []

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is not None:
            return super().get_form(request, obj, change=change, **kwargs)
        base = RegistrationAddForm

        class Form(base):
            def __init__(self, *args, **kw):
                super().__init__(*args, actor=request.user, **kw)

        return Form

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

    def save_form(self, request, form, change):
        registration, created = registration_record(
            actor=request.user, source=RegistrationSource.ADMIN, **form.registration_fields()
        )
        registration._admin_created = created
        return registration

    def save_model(self, request, obj, form, change):
        pass  # saved by registration_record in save_form

    def save_related(self, request, form, formsets, change):
        pass

    def log_addition(self, request, obj, message):
        if getattr(obj, "_admin_created", True):
            return super().log_addition(request, obj, message)
        return None

    def response_add(self, request, obj, post_url_continue=None):
        if getattr(obj, "_admin_created", True):
            return super().response_add(request, obj, post_url_continue)
        self.message_user(
            request,
            gettext("This registration was already recorded; nothing was added. Here is the stored record."),
            messages.WARNING,
        )
        return HttpResponseRedirect(reverse("admin:registry_registration_change", args=[obj.pk]))

    # --- extra pages -------------------------------------------------------------

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("import/", wrap(self.import_view), name="registry_registration_import"),
            path("import/template/", wrap(self.template_view), name="registry_registration_template"),
            path("sla/", wrap(self.sla_view), name="registry_registration_sla"),
            path("<int:object_id>/receipt/", wrap(self.receipt_view), name="registry_registration_receipt"),
        ] + super().get_urls()

    def changelist_view(self, request, extra_context=None):
        extra_context = extra_context or {}
        extra_context["can_import"] = self.has_add_permission(request)
        return super().changelist_view(request, extra_context)

    def template_view(self, request):
        if not self.has_add_permission(request):
            raise PermissionDenied
        return import_views.template_download(request, kind=registration_kind_for(request.user))

    def import_view(self, request):
        """Upload a filled-in template (the shared import flow): every row is recorded, or none and
        every bad cell is listed; a large file goes on in the background, with a progress bar."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        return import_views.admin_upload_page(
            self,
            request,
            kind=REGISTRATION_IMPORT,
            title=gettext("Import registrations from Excel"),
            template="admin/registry/registration/import.html",
            template_url_name="admin:registry_registration_template",
        )

    def receipt_view(self, request, object_id):
        """The registration's receipt (登记回执) as a PDF: issued on the first request, the same file after.

        For whoever sees the registration (404 otherwise). It prints the legal representative's
        name masked; each download is one entry of the access log all the same.
        """
        registration = self.get_queryset(request).filter(pk=object_id).first()
        if registration is None or not self.has_view_permission(request, registration):
            raise Http404
        try:
            with transaction.atomic():  # the receipt and its access-log entry, or neither
                document, _issued = registration_receipt(actor=request.user, registration=registration)
                personal_data_access_record(
                    request=request,
                    face=Face.DOWNLOAD,
                    action=AccessAction.DOWNLOAD,
                    record_type=Registration,
                    records=[(registration.pk, str(registration))],
                    counties=[self.personal_data_county(registration)],
                )
        except Registration.DoesNotExist:
            raise Http404 from None
        response = HttpResponse(document_file(document), content_type="application/pdf")
        response["Content-Disposition"] = content_disposition_header(False, document.filename)
        response["Cache-Control"] = "private, no-store"
        return response

    def sla_view(self, request):
        """The share of registrations pushed on time, by authority and by month."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        # The API's one declaration of this query; "All years" in the page's select sends an empty year.
        from ..api.registrations import SlaQuerySerializer

        given = request.GET.get("year", "")
        query = SlaQuerySerializer(data={"year": given} if given else {})
        year = None
        if query.is_valid():
            year = query.validated_data.get("year")
        else:
            self.message_user(
                request,
                gettext("Year “%(year)s” is not shown: %(reason)s The report covers every year.")
                % {"year": given, "reason": " ".join(str(m) for m in query.errors["year"])},
                messages.WARNING,
            )
        years = sorted(
            {d.year for d in self.get_queryset(request).dates("registered_on", "year")} | {timezone.localdate().year},
            reverse=True,
        )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("Registrations pushed on time"),
            "report": registration_sla_report(user=request.user, year=year),
            "push_window": push_window_current(request.user.county_id),
            "year": year,
            "years": years,
        }
        return TemplateResponse(request, "admin/registry/registration/sla_report.html", context)


admin.site.register(Registration, RegistrationAdmin)


# --- The health bureau's pages of the push: its inbox and the daily digests --------------------


@admin.register(InboxEntry)
class InboxEntryAdmin(BureauReadOnlyAdmin):
    """The inbox (待备案登记): registrations received, for which the institution must file.

    The health bureau reads every entry, the education bureau its nursery classes' (the rows
    ``Registration.objects.visible_to`` gives each)."""

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
    list_filter = ["authority", "kind", "institution__status"]
    search_fields = ["registration_number", "institution__name", "institution__credit_code"]
    fields = ["institution", "authority", "registration_number", "kind", "registered_on", "delivered_at"]
    readonly_fields = fields

    def get_queryset(self, request):
        return registrations_awaiting_filing(user=request.user)

    @admin.display(description=_("institution"), ordering="institution__name")
    def institution_name(self, obj):
        return obj.institution.name

    @admin.display(description=_("unified social credit code"))
    def credit_code(self, obj):
        return obj.institution.credit_code

    @admin.display(description=_("delivered at"), ordering="delivered_at")
    def delivered_at(self, obj):
        return obj.delivered_at

    @admin.display(description=_("institution status"))
    def institution_status(self, obj):
        return obj.institution.get_status_display()


@admin.register(DigestRun)
class DigestRunAdmin(BureauReadOnlyAdmin):
    """The overdue digests (逾期推送日报): one row per county and day; its deliveries are in the
    outbox's pages.

    A county-level record (``DigestRun.scope``): its county's health bureau's (and its city's commission's)."""

    list_display = ["date", "county", "overdue_count", "channels_done", "sent_at"]
    list_select_related = ["county"]
    list_filter = ["county"]
    readonly_fields = [
        "date",
        "county",
        "idempotency_key",
        "registration_ids",
        "channels_done",
        "sent_at",
        "created_at",
    ]

    @admin.display(description=_("overdue"))
    def overdue_count(self, obj):
        return len(obj.registration_ids)


# The push window that counts the deadlines has its own admin module (loaded with this one).
