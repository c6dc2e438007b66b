"""Celery tasks of the core app: a large import runs here, away from the upload request."""

from celery import shared_task

from .imports.services import import_job_run
from .models import ImportJob


@shared_task(acks_late=True)
def import_job_run_task(job_id):
    """Run import job ``job_id`` (``import_job_run``): check every row, then record all or none.

    Changes in the world what ``import_job_run`` changes; a job already finished (a message
    delivered twice) is left alone, and a job that no longer exists is skipped.
    """
    job = ImportJob.objects.select_related("created_by").filter(pk=job_id).first()
    if job is not None:
        import_job_run(job=job)
