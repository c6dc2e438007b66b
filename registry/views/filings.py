"""The institution's filings (备案) in the portal (/portal/filings/): list and open, the overview of one
filing (sections, what is missing, submit, withdraw, the steps, the documents), each section's form
and materials, and the documents' downloads.

Every object is found through ``visible_to(request.user)``: another institution's filing, section
or document is a 404. Every change is a service of ``registry.services.filings``; a refusal is
shown on the page it came from, with nothing changed.
"""

from django.contrib import messages
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from luchen_care.core.views import no_store
from luchen_care.documents.models import IssuedDocument
from luchen_care.documents.selectors import document_file
from luchen_care.files.selectors import stored_files_of
from luchen_care.portal.access import institution_required

from ..forms.filing_materials import FilingMaterialForm
from ..forms.filings import SECTION_FORMS
from ..models import Filing, FilingKind, FilingSection, SectionKey, SectionStatus
from ..models.filings import AWAITING_INSTITUTION, FINAL, MATERIALS_OF, SECTIONS_OF
from ..selectors.filings import filing_kinds_openable
from ..services import filings as services
from ..services.filing_documents import FILING_DOCUMENT_KINDS

#: The badge class of each section status (portal.css ``.badge``).
SECTION_BADGE = {
    SectionStatus.NOT_STARTED: "badge",
    SectionStatus.DRAFT: "badge draft",
    SectionStatus.COMPLETE: "badge ok",
    SectionStatus.RETURNED: "badge urgent",
    SectionStatus.ACCEPTED: "badge ok",
}


def _messages_of(exc: ValidationError) -> list[str]:
    """Every message of a service's refusal, field-keyed or not, for a page's error list."""
    if hasattr(exc, "error_dict"):
        return [message for messages_ in exc.message_dict.values() for message in messages_]
    return list(exc.messages)


def _filing_or_404(user, pk) -> Filing:
    return get_object_or_404(Filing.objects.visible_to(user).select_related("institution"), pk=pk)


def _section_or_404(user, pk, key) -> FilingSection:
    if key not in SectionKey.values:
        raise Http404
    return get_object_or_404(
        FilingSection.objects.visible_to(user).select_related("filing__institution"), filing_id=pk, key=key
    )


def _documents_of(filing):
    return (
        IssuedDocument.objects.filter(
            subject_type=ContentType.objects.get_for_model(Filing),
            subject_id=filing.pk,
            kind__in=[kind.key for kind in FILING_DOCUMENT_KINDS],
        )
        .defer("content")
        .order_by("-issued_at", "-id")
    )


# --- the list ------------------------------------------------------------------------------------


@institution_required
@require_http_methods(["GET", "POST"])
def filings(request):
    """The institution's filings, the one in progress first; POST ``kind`` opens a new one."""
    institution = request.user.institution
    rows = list(Filing.objects.visible_to(request.user).select_related("institution").order_by("-created_at", "-id"))
    rows.sort(key=lambda f: f.status in FINAL)  # stable: the open ones first, newest first within each
    errors = []
    if request.method == "POST":
        kind = request.POST.get("kind", FilingKind.INITIAL)
        if kind not in filing_kinds_openable(institution=institution):
            errors = [_("A filing of this kind cannot be started now.")]
        else:
            try:
                reopen = request.POST.getlist("reopen") if kind == FilingKind.CHANGE else None
                filing = services.filing_open(institution=institution, actor=request.user, kind=kind, reopen=reopen)
            except ValidationError as exc:
                errors = _messages_of(exc)
            else:
                messages.success(request, _("The filing is started: fill in each section, then submit it."))
                return redirect("registry_portal:filing", filing.pk)
    context = {
        "title": _("Filing"),
        "rows": rows,
        "institution": institution,
        "can_open": filing_kinds_openable(institution=institution),
        "change_sections": [(key, SectionKey(key).label) for key in SECTIONS_OF[FilingKind.CHANGE]],
        "errors": errors,
        "several": len({f.institution_id for f in rows}) > 1,
    }
    return render(request, "registry/portal/filings/list.html", context, status=400 if errors else 200)


# --- one filing ----------------------------------------------------------------------------------


def _overview(request, filing, *, errors=(), status=200):
    sections = list(filing.sections.all())
    for section in sections:
        section.filing = filing
        section.badge = SECTION_BADGE[SectionStatus(section.status)]
    saved = request.GET.get("saved", "")
    context = {
        "title": f"{filing.get_kind_display()} · {filing.institution.name}",
        "filing": filing,
        "sections": sections,
        "missing": services.filing_missing(filing) if filing.status in AWAITING_INSTITUTION else [],
        "can_submit": filing.status in AWAITING_INSTITUTION,
        "can_withdraw": filing.status not in FINAL,
        # Who took each step is not shown: the bureau's staff are "the bureau" to the institution.
        "steps": filing.transitions.order_by("recorded_at", "pk").only("name", "recorded_at", "comment", "filing_id"),
        "documents": _documents_of(filing),
        "errors": list(errors),
        "saved": saved if saved in SectionKey.values else "",
    }
    return render(request, "registry/portal/filings/filing.html", context, status=status)


@institution_required
@require_http_methods(["GET"])
def filing(request, pk):
    return _overview(request, _filing_or_404(request.user, pk))


@institution_required
@require_POST
def filing_submit(request, pk):
    """Submit (or resubmit) the filing; a refusal names what is missing, on the overview, and changes nothing."""
    filing = _filing_or_404(request.user, pk)
    try:
        services.filing_submit(filing=filing, actor=request.user)
    except ValidationError as exc:
        return _overview(request, filing, errors=_messages_of(exc), status=400)
    messages.success(request, _("The filing is submitted. The bureau answers within the deadlines shown below."))
    return redirect("registry_portal:filing", filing.pk)


@institution_required
@require_http_methods(["GET", "POST"])
def filing_withdraw(request, pk):
    """Ask first (GET, or POST without ``confirm``), then withdraw with the comment given."""
    filing = _filing_or_404(request.user, pk)
    errors = []
    if filing.status in FINAL:
        # Decided or withdrawn already: nothing to ask, the filing's page says where it stands.
        messages.error(
            request, _("A “%(status)s” filing cannot be withdrawn.") % {"status": filing.get_status_display()}
        )
        return redirect("registry_portal:filing", filing.pk)
    if request.method == "POST" and request.POST.get("confirm"):
        try:
            services.filing_withdraw(filing=filing, actor=request.user, comment=request.POST.get("comment", ""))
        except ValidationError as exc:
            errors = _messages_of(exc)
        else:
            messages.success(request, _("The filing is withdrawn. You may start a new one."))
            return redirect("registry_portal:filing", filing.pk)
    context = {"title": _("Withdraw the filing"), "filing": filing, "errors": errors}
    return render(request, "registry/portal/filings/withdraw.html", context, status=400 if errors else 200)


@institution_required
@require_http_methods(["GET"])
def filing_document(request, pk, document_pk):
    """A document issued for the filing (receipt, notice…), as the PDF it was issued; no copy kept by caches."""
    filing = _filing_or_404(request.user, pk)
    document = _documents_of(filing).filter(pk=document_pk).defer(None).first()
    if document is None:
        raise Http404
    response = HttpResponse(document_file(document), content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(True, document.filename)
    response["X-Content-Type-Options"] = "nosniff"
    return no_store(response)


# --- one section ---------------------------------------------------------------------------------


def _materials(section, files, upload_form=None, upload_purpose=""):
    """The section's materials: each purpose, whether it is required now, its current files, its form."""
    required = set(services.section_materials_required(section))
    rows = []
    for purpose, _needed in MATERIALS_OF[SectionKey(section.key)]:
        rows.append(
            {
                "purpose": purpose,
                "label": purpose.label,
                "required": purpose in required,
                "files": [f for f in files if f.purpose == purpose],
                "form": upload_form if upload_form is not None and upload_purpose == purpose else None,
            }
        )
    return rows


def _section_page(request, section, *, form=None, errors=(), upload_form=None, upload_purpose="", status=200):
    files = list(stored_files_of(subject=section, viewer=request.user))
    editable = section.editable
    if form is None:
        form = SECTION_FORMS[SectionKey(section.key)](initial=section.data or {}, auto_id="id_%s")
    if not editable:
        for field in form.fields.values():
            field.disabled = True
    context = {
        "title": section.get_key_display(),
        "filing": section.filing,
        "section": section,
        "badge": SECTION_BADGE[SectionStatus(section.status)],
        "form": form,
        "editable": editable,
        "errors": list(errors),
        "materials": _materials(section, files, upload_form, upload_purpose),
        "autosave_key": f"filing-{section.filing_id}-{section.key}",
    }
    return render(request, "registry/portal/filings/section.html", context, status=status)


@institution_required
@require_http_methods(["GET", "POST"])
def filing_section(request, pk, key):
    """The section's form: "save draft" keeps what was typed; "save and mark complete" must validate
    and have every required material. Read-only once the section is not the institution's to change."""
    section = _section_or_404(request.user, pk, key)
    if request.method == "GET":
        return _section_page(request, section)
    complete = "complete" in request.POST
    form_class = SECTION_FORMS[SectionKey(section.key)]
    try:
        services.filing_section_save(section=section, actor=request.user, data=request.POST, complete=complete)
    except ValidationError as exc:
        form = form_class(data=request.POST)
        form.is_valid()  # the same form the service used: its field errors show next to the fields
        extra = []
        for name, texts in exc.message_dict.items():
            if name not in form.fields and name != "__all__":
                extra.extend(texts)
        section.refresh_from_db()
        return _section_page(request, section, form=form, errors=extra, status=400)
    if complete:
        messages.success(request, _("“%(section)s” is saved and complete.") % {"section": section.get_key_display()})
    else:
        messages.success(request, _("“%(section)s” is saved as a draft.") % {"section": section.get_key_display()})
    return redirect(f"{reverse('registry_portal:filing', args=[pk])}?saved={section.key}")


@institution_required
@require_POST
def filing_material(request, pk, key):
    """Upload one material of the section (or replace a current file); a refused file is named on the
    section's page, and nothing is stored."""
    section = _section_or_404(request.user, pk, key)
    files = list(stored_files_of(subject=section, viewer=request.user))
    form = FilingMaterialForm(request.POST, request.FILES, section=section, current_files=files)
    purpose = request.POST.get("purpose", "")
    if form.is_valid():
        replaces = form.cleaned_data["replaces"]
        try:
            stored = services.filing_material_upload(
                section=section,
                actor=request.user,
                purpose=form.cleaned_data["purpose"],
                upload=form.cleaned_data["file"],
                replaces=replaces,
            )
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for name, errors in exc.error_dict.items():
                    form.add_error(name if name in form.fields else None, errors)
            else:
                form.add_error(None, exc)
        else:
            messages.success(request, _("“%(name)s” is uploaded.") % {"name": stored.original_name})
            return redirect("registry_portal:filing-section", pk, section.key)
    section.refresh_from_db()
    return _section_page(request, section, upload_form=form, upload_purpose=purpose, status=400)
