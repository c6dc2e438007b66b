"""The pages of an import: the upload form of a kind (used by the app's admin), a job's page
(a progress bar, then the report) and its JSON status, polled by the page."""

from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseRedirect, JsonResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from .kinds import import_kind
from .selectors import ImportReport, import_job_for
from .services import import_start
from .workbook import FileRefused, template_workbook

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def template_download(request, *, kind):
    """The kind's template as an .xlsx attachment; the caller has checked who may import."""
    if not kind.may_import(request.user):
        raise PermissionDenied
    response = HttpResponse(template_workbook(kind), content_type=XLSX)
    response["Content-Disposition"] = (
        f'attachment; filename="{kind.template_name}-template-{timezone.localdate():%Y%m%d}.xlsx"'
    )
    return response


def upload_page(request, *, kind, template, context, done_url):
    """The upload form of ``kind``; a POST starts an import (``import_start``).

    A file refused outright (not an .xlsx, empty, a wrong header, too many rows) is answered on
    this page, nothing changed. A small file runs in this request: imported, the user goes to
    ``done_url`` with the summary; rows to fix, the page lists every one. A large file goes on
    as a background job: the user goes to its page, which shows the progress and then the report.
    """
    from django.contrib import messages  # noqa: PLC0415

    if not kind.may_import(request.user):
        raise PermissionDenied
    report = None
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            report = ImportReport.refused([_("Choose the Excel file to import.")])
        else:
            try:
                job = import_start(kind=kind, actor=request.user, upload=upload)
            except FileRefused as exc:
                report = ImportReport.refused(exc.messages)
            else:
                if job.background:
                    return HttpResponseRedirect(reverse("import-job", args=[job.pk]))
                report = ImportReport(job)
                if report.ok:
                    messages.success(request, report.message or _("The file was imported."))
                    return HttpResponseRedirect(done_url)
    context = {
        **context,
        "import_kind": kind,
        "result": report,
        "problems": report.errors if report else [],
        "max_rows": kind.max_rows,
    }
    return TemplateResponse(request, template, context)


def _visible_job(request, pk):
    return import_job_for(user=request.user, pk=pk)


def import_job_page(request, pk):
    """An import job's page: its progress bar while it runs, its report when it has finished."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    job = _visible_job(request, pk)
    try:
        kind = import_kind(job.kind)
    except LookupError:
        kind = None
    context = {
        **admin.site.each_context(request),
        "title": _("Import of %(file)s") % {"file": job.filename},
        "job": job,
        "kind": kind,
        "result": ImportReport(job),
        "status_url": reverse("import-job-status", args=[job.pk]),
        "records_url": reverse(kind.records_url) if kind and kind.records_url else "",
        "upload_url": reverse(kind.upload_url) if kind and kind.upload_url else "",
    }
    return TemplateResponse(request, "core/imports/job.html", context)


def _json_error(code, message, status):
    """An error in the API's shape (``luchen_care.core.api.errors``): code, message, fields."""
    return JsonResponse({"error": {"code": code, "message": str(message), "fields": {}}}, status=status)


def import_job_status(request, pk):
    """The job's figures as JSON, for the page's progress bar; its errors (401 logged out, 404 no
    such job or another user's) are JSON too, in the API's error shape."""
    if not request.user.is_authenticated:
        return _json_error("not_authenticated", _("Log in first."), 401)
    try:
        job = _visible_job(request, pk)
    except Http404:
        return _json_error("not_found", _("There is no such import job."), 404)
    report = ImportReport(job)
    return JsonResponse(
        {
            "status": job.status,
            "status_label": job.get_status_display(),
            "finished": job.finished,
            "rows_total": job.rows_total,
            "rows_done": job.rows_done,
            "percent": job.percent,
            "errors": len(report.entries),
        }
    )


def admin_upload_page(model_admin, request, *, kind, title, template, template_url_name):
    """``upload_page`` inside the admin of ``model_admin``'s model: the admin's frame, the
    template's download link, and back to the model's list once imported. The caller has
    checked who may import."""
    opts = model_admin.opts
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": opts,
        "title": title,
        "template_url": reverse(template_url_name),
    }
    return upload_page(
        request,
        kind=kind,
        template=template,
        context=context,
        done_url=reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"),
    )
