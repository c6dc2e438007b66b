"""Django admin for institutions. Scoping and write rules come from the registry, not from here."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ERROR_FLAG
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from luchen_care.accounts.permissions import manages_institution_accounts, works_in_admin
from luchen_care.audit.admin import LogsPersonalDataPages
from luchen_care.audit.models import AccessAction, Face
from luchen_care.audit.services import personal_data_access_record
from luchen_care.core.admin import (
    ScopedHistoryAdmin,
    ScopedRelatedFieldListFilter,
    StaffAdminPermissions,
    admin_search_terms,
)
from luchen_care.core.imports import views as import_views

from ..exports import export_filename, institutions_workbook
from ..models import Filing, Institution, InstitutionClass, InstitutionStep, Registration
from ..onboarding import INSTITUTION_ONBOARDING_IMPORT, onboarding_kind_for
from ..permissions import (
    can_change_institution,
    can_create_institution,
    can_onboard_institutions,
    can_transition_institution,
    can_write_institution,
)
from ..selectors.documents import institution_documents
from ..selectors.institutions import (
    institution_class_history,
    institution_export_summary,
    institution_search_narrowed,
)
from ..services import institutions as institution_services
from ..services.institutions import INSTITUTION_TRANSITIONS, institution_save
from ..validators import normalize_credit_code
from .invitations import PortalAccountFilter


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
        return cleaned


class _Refused(Exception):
    """Rolls back a lifecycle action in which some institution was refused."""


class LifecycleStepForm(forms.Form):
    """The confirmation page of a lifecycle action: the step's date, document reference and reason."""

    effective_on = forms.DateField(label=_("effective on"), initial=timezone.localdate, required=False)
    document_reference = forms.CharField(label=_("document reference"), max_length=100, required=False)
    reason = forms.CharField(
        label=_("reason"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, step, **kwargs):
        super().__init__(*args, **kwargs)
        for name in step.requires:
            self.fields[name].required = True


def lifecycle_step_action(name, description):
    """The admin action of the lifecycle step ``name``, for those who may take the steps
    (``InstitutionAdmin.lifecycle_action`` asks its date, document and reason, then takes it)."""

    @admin.action(description=description, permissions=["lifecycle"])
    def action(self, request, queryset):
        return self.lifecycle_action(request, queryset, name)

    action.__name__ = action.__qualname__ = name.value
    return action


@admin.register(Institution)
class InstitutionAdmin(LogsPersonalDataPages, StaffAdminPermissions, ScopedHistoryAdmin):
    form = InstitutionAdminForm
    change_list_template = "admin/registry/institution/change_list.html"
    change_form_template = "admin/registry/institution/change_form.html"
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
        ("street", ScopedRelatedFieldListFilter),
        "kind",
        "ownership",
        "inclusive",
        "status",
        "for_profit",
        "demonstration_level",
        PortalAccountFilter,
    ]
    search_fields = ["name", "credit_code"]
    list_select_related = ["street"]
    list_per_page = 50
    # By street, then name, as the model orders them, but on the street's id (streets are loaded in
    # code order) so that the (street, name) index serves the page: ordering by the joined street's
    # code sorted the whole district's rows on every view.
    ordering = ["street_id", "name", "pk"]
    autocomplete_fields = ["head_office"]
    inlines = [InstitutionClassInline]
    history_list_display = ["status"]
    # The institution's history, and below it the changes to its classes.
    object_history_template = "admin/registry/institution/object_history.html"
    record_fields = [
        "archived",
        "archived_on",
        "archived_by",
        "archived_reason",
        "created_at",
        "created_by",
        "modified_at",
        "modified_by",
    ]
    # Only the lifecycle steps (the actions below) change the status and its dates.
    lifecycle_fields = ["status", "registered_on", "filed_on", "operating_since", "suspended_on", "closed_on"]
    readonly_fields = [*lifecycle_fields, "lifecycle_steps", *record_fields]
    actions = ["mark_filed", "mark_operating", "suspend", "resume", "close"]
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
            {"fields": [*lifecycle_fields, "lifecycle_steps"]},
        ),
        (
            _("Record"),
            {
                "classes": ["collapse"],
                "fields": record_fields,
            },
        ),
    ]

    def get_search_results(self, request, queryset, search_term):
        searched, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        return institution_search_narrowed(searched, admin_search_terms(search_term)), may_have_duplicates

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            # Registered on a given date (a registration recorded late); every other date comes from a step.
            return [name for name in self.readonly_fields if name != "registered_on"]
        return self.readonly_fields

    @admin.display(description=_("lifecycle steps"))
    def lifecycle_steps(self, obj):
        """Each recorded step: when it took effect, what it was, the document, the reason, who recorded it."""
        steps = list(obj.transitions.select_related("actor")) if obj is not None and obj.pk else []
        if not steps:
            return _("No lifecycle step has been recorded yet.")
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{} → {}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    date_format(step.effective_on, "DATE_FORMAT"),
                    step.get_name_display(),
                    step.get_source_display(),
                    step.get_target_display(),
                    step.document_reference or "—",
                    step.comment or "—",
                    step.actor or "—",
                    date_format(timezone.localtime(step.recorded_at), "DATETIME_FORMAT"),
                )
                for step in steps
            ),
        )
        head = format_html(
            "<tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
            _("effective on"),
            _("step"),
            _("status"),
            _("document reference"),
            _("reason"),
            _("recorded by"),
            _("recorded at"),
        )
        return format_html('<table class="lifecycle-steps"><thead>{}</thead><tbody>{}</tbody></table>', head, rows)

    def get_queryset(self, request):
        return Institution.objects.visible_to(request.user).select_related("street")

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        # Below the fields, the institution's own documents (current, then the files each replaced),
        # read-only, each downloaded through the scoped, logged ``files:download``.
        if obj is not None and obj.pk:
            context["institution_documents"] = institution_documents(institution=obj, viewer=request.user)
            context.update(self.links_context(request, obj))
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)

    def links_context(self, request, institution):
        """The institution's registrations, filings (status, number) and the documents issued about
        them, as the user sees them, each linked to its admin page or PDF where the user has one."""
        from luchen_care.documents.models import IssuedDocument  # noqa: PLC0415

        from ..selectors.filing_review import filing_review_queue  # noqa: PLC0415

        registrations = list(
            Registration.objects.visible_to(request.user).filter(institution=institution).order_by("-registered_on")
        )
        filings = list(Filing.objects.visible_to(request.user).filter(institution=institution).order_by("-created_at"))
        in_queue = set(
            filing_review_queue(user=request.user).filter(institution=institution).values_list("pk", flat=True)
        )
        filing_pages = admin.site.is_registered(Filing) and admin.site.get_model_admin(Filing).has_view_permission(
            request
        )
        for filing in filings:
            filing.admin_url = (
                reverse("admin:registry_filing_change", args=[filing.pk])
                if filing_pages and filing.pk in in_queue
                else ""
            )
        types = ContentType.objects.get_for_models(Registration, Filing)
        documents = []
        subjects = [(Registration, [r.pk for r in registrations]), (Filing, [f.pk for f in filings])]
        for model, ids in subjects:
            if not ids:
                continue
            rows = (
                IssuedDocument.objects.visible_to(request.user)
                .filter(subject_type=types[model], subject_id__in=ids)
                .defer("content")
                .order_by("issued_at", "pk")
            )
            for document in rows:
                if model is Registration:
                    document.admin_url = reverse("admin:registry_registration_receipt", args=[document.subject_id])
                elif filing_pages and document.subject_id in in_queue:
                    document.admin_url = reverse(
                        "admin:registry_filing_document", args=[document.subject_id, document.pk]
                    )
                else:
                    document.admin_url = ""
                documents.append(document)
        return {
            "institution_registrations": registrations,
            "institution_filings": filings,
            "institution_issued_documents": documents,
        }

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
        # Below the institution's own history, its lifecycle steps and the changes to its classes.
        return {
            "class_history": institution_class_history(institution=obj, viewer=request.user),
            "lifecycle_steps": self.lifecycle_steps(obj),
        }

    def personal_data_county(self, obj):
        # The legal representative and contact phone are on the change, history and version pages.
        return obj.street.county_id

    def may_add(self, user):
        return can_create_institution(user)

    def may_change(self, user, obj):
        return can_change_institution(user, obj)

    # may_delete: never; institutions are closed and archived, never deleted.

    def get_actions(self, request):
        # No bulk delete: institutions are closed and archived, never deleted.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def has_lifecycle_permission(self, request):
        return works_in_admin(request.user) and can_transition_institution(request.user)

    mark_filed = lifecycle_step_action(InstitutionStep.MARK_FILED, _("Record the filing of the selected institutions"))
    mark_operating = lifecycle_step_action(InstitutionStep.MARK_OPERATING, _("Record the start of operations"))
    suspend = lifecycle_step_action(InstitutionStep.SUSPEND, _("Suspend the selected institutions"))
    resume = lifecycle_step_action(InstitutionStep.RESUME, _("Resume the selected institutions"))
    close = lifecycle_step_action(InstitutionStep.CLOSE, _("Close and archive the selected institutions"))

    def lifecycle_action(self, request, queryset, name):
        """A lifecycle step on the selected institutions, after a page asking its date, document and reason.

        Every record is taken again from the user's scope and checked by the step's service. All
        of them take the step, or none does: the message names each one refused and why.
        """
        step = INSTITUTION_TRANSITIONS[name]
        service = getattr(institution_services, f"institution_{name}")
        selected = list(queryset.order_by("pk"))
        if not selected:
            self.message_user(request, _("None of the selected institutions is visible to you."), messages.WARNING)
            return None
        form = LifecycleStepForm(request.POST if "apply" in request.POST else None, step=step)
        if form.is_bound and form.is_valid():
            refused = []
            try:
                with transaction.atomic():
                    for institution in selected:
                        # Checked against the scope again (get_queryset), then by the service.
                        if self.get_object(request, str(institution.pk)) is None:
                            refused.append(format_html("{}: {}", institution, _("not visible to you")))
                            continue
                        try:
                            service(institution=institution, actor=request.user, **form.cleaned_data)
                        except (ValidationError, PermissionDenied) as exc:
                            text = "; ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
                            refused.append(format_html("{}: {}", institution, text))
                    if refused:
                        raise _Refused
            except _Refused:
                self.message_user(
                    request,
                    format_html(
                        "{} {}",
                        _("Nothing was changed:"),
                        format_html_join("; ", "{}", ((r,) for r in refused)),
                    ),
                    messages.ERROR,
                )
                return None
            self.message_user(
                request,
                _("%(step)s: recorded for %(count)d institution(s).") % {"step": step.label, "count": len(selected)},
                messages.SUCCESS,
            )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": step.label,
            "opts": self.opts,
            "step": step,
            "form": form,
            "institutions": selected,
            "action_name": name,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "media": self.media + form.media,
        }
        return TemplateResponse(request, "admin/registry/institution/lifecycle_step.html", context)

    def save_model(self, request, obj, form, change):
        institution_save(institution=obj, actor=request.user)

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        extra = [
            path(
                "export/",
                self.admin_site.admin_view(self.export_view),
                name="{}_{}_export".format(*info),
            ),
            path("import/", self.admin_site.admin_view(self.import_view), name="{}_{}_import".format(*info)),
            path(
                "import/template/",
                self.admin_site.admin_view(self.template_view),
                name="{}_{}_template".format(*info),
            ),
        ]
        return extra + super().get_urls()

    def template_view(self, request):
        """The onboarding import's template, with the streets of the user's county in its list."""
        if not can_onboard_institutions(request.user):
            raise PermissionDenied
        return import_views.template_download(request, kind=onboarding_kind_for(request.user))

    def import_view(self, request):
        """Upload the institutions that filed on paper (the shared import flow): every row is
        recorded with its filing, or none and every bad cell is listed."""
        if not can_onboard_institutions(request.user):
            raise PermissionDenied
        return import_views.admin_upload_page(
            self,
            request,
            kind=INSTITUTION_ONBOARDING_IMPORT,
            title=gettext("Import institutions filed on paper"),
            template="admin/registry/institution/import.html",
            template_url_name="admin:registry_institution_template",
        )

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
        # Every row carries the legal representative and contact phone: the export is logged with
        # its filter (the changelist's query string) and row count, and its records when few.
        summary = institution_export_summary(queryset=queryset)
        personal_data_access_record(
            request=request,
            face=Face.EXPORT,
            action=AccessAction.EXPORT,
            record_type=Institution,
            records=summary.records,
            row_count=summary.count,
            counties=summary.counties,
        )
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # The bureau that may change institutions invites their people from here (accounts' pages).
        extra_context = extra_context or {}
        institution = self.get_queryset(request).filter(pk=object_id).first() if str(object_id).isdigit() else None
        if institution is not None and manages_institution_accounts(request.user, institution):
            add, listed = reverse("admin:accounts_invitation_add"), reverse("admin:accounts_invitation_changelist")
            extra_context["invite_url"] = f"{add}?{urlencode({'institution': object_id})}"
            extra_context["invitations_url"] = f"{listed}?{urlencode({'institution__id__exact': object_id})}"
        return super().change_view(request, object_id, form_url, extra_context)

    def changelist_view(self, request, extra_context=None):
        extra_context = extra_context or {}
        extra_context["export_url"] = reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_export")
        extra_context["can_onboard"] = can_onboard_institutions(request.user)
        return super().changelist_view(request, extra_context)
