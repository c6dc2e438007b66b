"""Reads of import jobs: a job is visible to the user who started it, and to superusers."""

from django.http import Http404

from ..models import ImportJob


def import_jobs_visible_to(user):
    if not user.is_authenticated or not user.is_active:
        return ImportJob.objects.none()
    if user.is_superuser:
        return ImportJob.objects.all()
    return ImportJob.objects.filter(created_by=user)


def import_job_for(*, user, pk) -> ImportJob:
    """The job ``pk`` if ``user`` may see it; ``Http404`` otherwise (another user's job does not exist for them)."""
    job = import_jobs_visible_to(user).select_related("created_by").filter(pk=pk).first()
    if job is None:
        raise Http404
    return job


class ImportReport:
    """A job's report as pages and tests read it: ``errors`` as one line per problem
    (``Row 3, 统一社会信用代码: …``), ``entries`` as stored."""

    def __init__(self, job):
        self.job = job
        self.entries = (job.report or {}).get("errors", [])

    @property
    def ok(self):
        return self.job.status == "imported"

    @property
    def errors(self):
        return [line(entry) for entry in self.entries]

    @property
    def message(self):
        return (self.job.report or {}).get("message", "")


def line(entry):
    from django.utils.translation import gettext as _  # noqa: PLC0415

    if entry.get("row") is None:
        return entry["message"]
    if not entry.get("column"):
        return _("Row %(row)d: %(message)s") % {"row": entry["row"], "message": entry["message"]}
    return _("Row %(row)d, %(column)s: %(message)s") % entry
