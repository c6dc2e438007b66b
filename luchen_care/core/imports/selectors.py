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
    (``Row 3, 统一社会信用代码: …``, in the job's language), ``entries`` as stored.
    ``ImportReport.refused(messages)`` is the report of a file refused outright (no job)."""

    def __init__(self, job=None, *, entries=None):
        self.job = job
        self.entries = entries if entries is not None else (job.report or {}).get("errors", [])

    @classmethod
    def refused(cls, messages):
        return cls(entries=[{"row": None, "field": "", "column": "", "message": m, "text": m} for m in messages])

    @property
    def ok(self):
        return self.job is not None and self.job.status == "imported"

    @property
    def by_row(self):
        """Whether the problems are cells (a table of rows and columns), not the file itself."""
        return any(entry.get("row") is not None for entry in self.entries)

    @property
    def errors(self):
        return [entry.get("text") or entry["message"] for entry in self.entries]

    @property
    def message(self):
        return (self.job.report or {}).get("message", "") if self.job is not None else ""
