"""The bureau's review of filings (备案) in the admin: its queue, a read-only page per filing, and the
review's steps, each a page of its own that calls the filing services.

- **The queue** (the changelist) is ``filing_review_queue``: the filings routed to the user's bureau
  (``Filing.objects.reviewed_by``: the education bureau nursery classes, the health bureau the rest),
  with their deadlines and the working days left to the receipt deadline (one calendar per page);
  a filing due today or overdue is marked. The city's commission reads the filings it sees; street
  offices and registration authorities have no filing module.
- **A filing's page** shows, read-only, each section as the institution entered it (the labels of
  its section form, ``SECTION_FORMS``), its materials (``files:download``), status and comment; the
  steps recorded; the documents issued (``document_view``: the PDF, scoped like the filing).
- **The review's steps** (``review_view``): take up, on-site check, return (a comment per section),
  approve, reject (reasons). Nobody edits a filing's fields here; every step is a service
  (``registry.services.filings``), which checks the reviewer and the status again. A refusal is
  shown as a message, and nothing is changed.
"""

from django.contrib import admin, messages
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import content_disposition_header
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from luchen_care.audit.admin import LogsPersonalDataPages
from luchen_care.audit.models import AccessAction, Face
from luchen_care.audit.services import personal_data_access_record
from luchen_care.core.admin import BureauReadOnlyAdmin, CountOnceChangeList, ScopedHistoryAdmin
from luchen_care.documents.models import IssuedDocument
from luchen_care.documents.selectors import document_file
from luchen_care.files.models import StoredFile

from ..forms.filing_review import FilingRejectForm, FilingReturnForm, FilingStepForm
from ..forms.filings import SECTION_FORMS
from ..models import Filing, FilingMaterial, FilingSection, FilingStatus, FilingStep, SectionKey
from ..models.filings import AWAITING_BUREAU
from ..permissions import can_review_filing
from ..selectors.filing_review import (
    filing_review_queue,
    filings_awaiting_review,
    filings_due_ahead,
    filings_due_today,
    filings_overdue,
    working_days_left,
)
from ..services import filings as filing_services

S = FilingStatus


class ReviewStep:
    """A step of the review as the admin offers it: its label, the service, the form, when it is offered."""

    def __init__(self, name, label, service, form, sources, *, button, needs_site_check=None):
        self.name, self.label, self.service, self.form = name, label, service, form
        self.sources, self.button, self.needs_site_check = sources, button, needs_site_check

    def offered(self, filing):
        """Whether the filing's status allows the step (the service decides again)."""
        if self.needs_site_check is not None and filing.site_check_required != self.needs_site_check:
            return False
        if self.name == "approve":
            return filing.status == (S.SITE_CHECK if filing.site_check_required else S.UNDER_REVIEW)
        return filing.status in self.sources


REVIEW_STEPS = {
    step.name: step
    for step in (
        ReviewStep(
            "start_review",
            FilingStep.START_REVIEW.label,
            filing_services.filing_review_start,
            FilingStepForm,
            (S.SUBMITTED, S.RESUBMITTED),
            button=_("Start review"),
        ),
        ReviewStep(
            "site_check",
            FilingStep.START_SITE_CHECK.label,
            filing_services.filing_site_check_start,
            FilingStepForm,
            (S.UNDER_REVIEW,),
            button=_("Start the on-site check"),
            needs_site_check=True,
        ),
        ReviewStep(
            "return",
            FilingStep.RETURN.label,
            filing_services.filing_return,
            FilingReturnForm,
            (S.UNDER_REVIEW, S.SITE_CHECK),
            button=_("Return for changes"),
        ),
        ReviewStep(
            "approve",
            FilingStep.APPROVE.label,
            filing_services.filing_approve,
            FilingStepForm,
            (S.UNDER_REVIEW, S.SITE_CHECK),
            button=_("Approve"),
        ),
        ReviewStep(
            "reject",
            FilingStep.REJECT.label,
            filing_services.filing_reject,
            FilingRejectForm,
            (S.UNDER_REVIEW, S.SITE_CHECK),
            button=_("Refuse the filing"),
        ),
    )
}


class DueFilter(admin.SimpleListFilter):
    """Filings waiting for the bureau, by their receipt deadline."""

    title = _("receipt due")
    parameter_name = "due"

    def lookups(self, request, model_admin):
        return [
            ("awaiting", _("Awaiting review")),
            ("today", _("Due today")),
            ("overdue", _("Overdue")),
            ("ahead", _("Deadline ahead")),
        ]

    def queryset(self, request, queryset):
        selector = {
            "awaiting": filings_awaiting_review,
            "today": filings_due_today,
            "overdue": filings_overdue,
            "ahead": filings_due_ahead,
        }.get(self.value())
        return selector(queryset) if selector else queryset


class FilingQueueChangeList(CountOnceChangeList):
    """The queue's page: the working days left of its rows counted with one calendar."""

    def get_results(self, request):
        super().get_results(request)
        self.result_list = list(self.result_list)
        left = working_days_left(self.result_list)
        for filing in self.result_list:
            filing.working_days_left = left.get(filing.pk)


def _value_text(field, value):
    """A section's stored value as the reviewer reads it: a choice's label, "—" for nothing."""
    if value in (None, ""):
        return "—"
    if isinstance(value, bool):
        return str(_("Yes") if value else _("No"))
    choices = getattr(field, "choices", None)
    if choices:
        labels = {str(key): label for key, label in choices}
        return str(labels.get(str(value), value))
    return str(value)


def section_rows(section):
    """``[(label, value)]`` of ``section``'s data, in the order and with the labels of its form."""
    form = SECTION_FORMS[SectionKey(section.key)]()  # some forms add their fields when built (classes)
    data = section.data or {}
    return [(field.label, _value_text(field, data.get(name))) for name, field in form.fields.items()]


@admin.register(Filing)
class FilingAdmin(LogsPersonalDataPages, BureauReadOnlyAdmin, ScopedHistoryAdmin):
    change_form_template = "admin/registry/filing/change_form.html"
    list_display = [
        "institution",
        "kind",
        "status",
        "submitted_at",
        "receipt_due",
        "notice_deadline",
        "working_days",
        "fee_above_guided",
    ]
    list_filter = [DueFilter, "status", "kind"]
    search_fields = ["institution__name", "institution__credit_code", "number"]
    ordering = [F("receipt_deadline").asc(nulls_last=True), "pk"]
    list_per_page = 50
    actions = None
    history_list_display = ["status", "receipt_deadline", "notice_deadline"]
    fields = [
        "institution",
        "kind",
        "status",
        "number",
        "registration",
        "previous",
        "review_body",
        "submitted_at",
        "clock_started_on",
        "receipt_deadline",
        "notice_deadline",
        "deadlines_provisional",
        "deadline_rule",
        "site_check_required",
        "fee_rule",
        "fee_above_guided",
        "decided_at",
        "decided_by",
        "decision_comment",
    ]
    readonly_fields = fields

    # --- the queue -----------------------------------------------------------------------------

    def get_queryset(self, request):
        return filing_review_queue(user=request.user)

    def get_changelist(self, request, **kwargs):
        return FilingQueueChangeList

    def personal_data_county(self, obj):
        # The basic section names a contact person and phone, the commitment its signatory.
        return obj.institution.street.county_id

    @staticmethod
    def is_due(obj, today=None):
        today = today or timezone.localdate()
        return obj.status in AWAITING_BUREAU and obj.receipt_deadline is not None and obj.receipt_deadline <= today

    @admin.display(description=_("receipt due"), ordering="receipt_deadline")
    def receipt_due(self, obj):
        if obj.receipt_deadline is None:
            return "—"
        text = obj.receipt_deadline.isoformat()
        if obj.deadlines_provisional:
            text = format_html('{} <span class="provisional">({})</span>', text, gettext("provisional"))
        if self.is_due(obj):
            overdue = obj.receipt_deadline < timezone.localdate()
            return format_html(
                '<strong class="{}" style="color: var(--error-fg)">{} · {}</strong>',
                "filing-overdue" if overdue else "filing-due-today",
                text,
                gettext("Overdue") if overdue else gettext("Due today"),
            )
        return text

    @admin.display(description=_("working days left"))
    def working_days(self, obj):
        left = getattr(obj, "working_days_left", None)
        if left is None:
            return "—"
        if left < 0:
            return format_html(
                '<strong class="filing-overdue" style="color: var(--error-fg)">{}</strong>',
                gettext("%(days)d overdue") % {"days": -left},
            )
        if left == 0:
            return format_html('<strong class="filing-due-today" style="color: var(--error-fg)">{}</strong>', 0)
        return str(left)

    # --- one filing, read-only -------------------------------------------------------------------

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and obj.pk:
            context.update(self.filing_context(request, obj))
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)

    def filing_context(self, request, filing):
        """The sections (data, materials, status, comment), steps, documents and offered review steps."""
        sections = list(filing.sections.order_by("position").select_related("modified_by"))
        files = StoredFile.objects.visible_to(request.user).filter(
            subject_type=ContentType.objects.get_for_model(FilingSection),
            subject_id__in=[s.pk for s in sections],
            superseded_by__isnull=True,
        )
        by_section = {}
        for stored in files.order_by("uploaded_at", "pk"):
            by_section.setdefault(stored.subject_id, []).append(
                (
                    FilingMaterial(stored.purpose).label if stored.purpose in FilingMaterial.values else stored.purpose,
                    stored,
                )
            )
        documents = (
            IssuedDocument.objects.visible_to(request.user)
            .filter(subject_type=ContentType.objects.get_for_model(Filing), subject_id=filing.pk)
            .defer("content")
            .order_by("issued_at", "pk")
        )
        reviewer = can_review_filing(request.user, filing)
        return {
            "filing_sections": [
                {"section": s, "rows": section_rows(s), "materials": by_section.get(s.pk, [])} for s in sections
            ],
            "filing_steps": list(filing.transitions.select_related("actor")),
            "filing_documents": list(documents),
            "review_steps": [step for step in REVIEW_STEPS.values() if reviewer and step.offered(filing)],
        }

    # --- extra pages -----------------------------------------------------------------------------

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<int:object_id>/review/<str:step>/", wrap(self.review_view), name="registry_filing_review"),
            path(
                "<int:object_id>/documents/<int:document_id>/",
                wrap(self.document_view),
                name="registry_filing_document",
            ),
        ] + super().get_urls()

    def _filing_or_404(self, request, object_id):
        if not self.has_view_permission(request):
            raise PermissionDenied
        filing = self.get_queryset(request).filter(pk=object_id).first()
        if filing is None:
            raise Http404(gettext("No record with this id is visible to you."))
        return filing

    def review_view(self, request, object_id, step):
        """One step of the review: a page with its form (a comment per section to return, the reasons
        to reject, an optional comment otherwise), then the service. Only the bureau the filing is
        routed to reaches it (403 for a reader, 404 out of scope); a refusal of the service is shown
        as a message on the filing's page, and nothing is changed."""
        review = REVIEW_STEPS.get(step)
        filing = self._filing_or_404(request, object_id)
        if review is None:
            raise Http404(gettext("No such step."))
        if not can_review_filing(request.user, filing):
            raise PermissionDenied
        page = reverse("admin:registry_filing_change", args=[filing.pk])
        if request.method == "GET" and not review.offered(filing):
            # A step the status does not allow (a stale link): no form to fill in, the page says why.
            # A POST goes to the service, whose refusal says the same in its own words.
            message = gettext("“%(step)s” cannot be taken on a “%(status)s” filing.")
            self.message_user(
                request, message % {"step": review.label, "status": filing.get_status_display()}, messages.ERROR
            )
            return HttpResponseRedirect(page)
        sections = list(filing.sections.order_by("position"))
        data = request.POST if request.method == "POST" and "apply" in request.POST else None
        form = review.form(data, sections=sections) if review.form is FilingReturnForm else review.form(data)
        if form.is_bound and form.is_valid():
            if review.form is FilingReturnForm:
                arguments = {"comments": form.comments()}
            elif review.form is FilingRejectForm:
                arguments = {"reasons": form.cleaned_data["reasons"]}
            elif step == "start_review":
                arguments = {}
            else:
                arguments = {"comment": form.cleaned_data["comment"]}
            try:
                review.service(filing=filing, actor=request.user, **arguments)
            except ValidationError as refused:
                self.message_user(
                    request,
                    format_html("{} {}", gettext("Nothing was changed:"), " ".join(refused.messages)),
                    messages.ERROR,
                )
                return HttpResponseRedirect(page)
            self.message_user(
                request,
                gettext("%(step)s: %(filing)s.") % {"step": review.label, "filing": filing},
                messages.SUCCESS,
            )
            return HttpResponseRedirect(page)
        context = {
            **self.admin_site.each_context(request),
            "title": review.label,
            "subtitle": str(filing),
            "opts": self.opts,
            "original": filing,
            "filing": filing,
            "step": review,
            "form": form,
            "page_url": page,
            "media": self.media + form.media,
        }
        return TemplateResponse(request, "admin/registry/filing/review_step.html", context)

    def document_view(self, request, object_id, document_id):
        """A document issued about the filing (receipt, notice of basic conditions, notices with the
        reasons) as its PDF, exactly as issued; 404 unless the filing is in the user's list and the
        document is about it. Each download is one entry of the access log (a masked name is printed)."""
        filing = self._filing_or_404(request, object_id)
        document = (
            IssuedDocument.objects.visible_to(request.user)
            .filter(pk=document_id, subject_type=ContentType.objects.get_for_model(Filing), subject_id=filing.pk)
            .first()
        )
        if document is None:
            raise Http404(gettext("No document with this id is visible to you."))
        with transaction.atomic():
            personal_data_access_record(
                request=request,
                face=Face.DOWNLOAD,
                action=AccessAction.DOWNLOAD,
                record_type=Filing,
                records=[(filing.pk, str(filing))],
                counties=[self.personal_data_county(filing)],
            )
        response = HttpResponse(document_file(document), content_type="application/pdf")
        response["Content-Disposition"] = content_disposition_header(False, document.filename)
        response["Cache-Control"] = "private, no-store"
        return response
