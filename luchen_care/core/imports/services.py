"""Running an import: the job record, checking every row, applying all or nothing, the report."""

import logging
import os

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, connections, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from ..models import ImportJob, ImportJobStatus
from .kinds import ImportKind, ImportRowError, import_kind
from .workbook import FileRefused, Row, read_rows

logger = logging.getLogger(__name__)

S = ImportJobStatus
# How often (in rows) a running job publishes its progress.
PROGRESS_EVERY = 250


def background_threshold():
    """Files with more rows than this run as a Celery job; smaller ones in the request."""
    return int(getattr(settings, "IMPORT_BACKGROUND_ROWS", 300))


def max_upload_bytes():
    """The largest upload accepted (``IMPORT_MAX_UPLOAD_BYTES``, 10 MB by default; 5,000 rows of the
    registration template are about 0.2 MB, 3.3 MB unpacked)."""
    return int(getattr(settings, "IMPORT_MAX_UPLOAD_BYTES", 10 * 1024 * 1024))


def _uploaded_name(upload):
    return os.path.basename(getattr(upload, "name", "") or "") or "import.xlsx"


@transaction.atomic
def import_start(*, kind: ImportKind, actor, upload) -> ImportJob:
    """Record an import job for ``upload`` by ``actor`` and run it.

    What it changes in the world:
    - a file that cannot be imported at all (not an .xlsx, empty, larger than
      ``max_upload_bytes()``, damaged, no data sheet, a wrong header, more than ``kind.max_rows``
      rows) raises ``FileRefused`` and changes nothing;
    - otherwise an ``ImportJob`` is saved (the file kept, ``actor`` as its creator, the active
      language for its report). A file of at most ``background_threshold()`` rows is run here
      (``import_job_run``); a larger one is enqueued on commit as a Celery job and the caller
      returns at once (with the embedded default, tasks in-process, it runs at the commit).
      If the job cannot be enqueued (the broker is down), it is marked ``failed`` at once with a
      message to try again later, nothing imported: a job never waits as ``queued`` for a message
      that was never sent (there is no beat re-enqueueing queued jobs), and the user who is sent
      to its page reads why.

    Raises ``PermissionDenied`` if ``actor`` may not import ``kind``.
    """
    if not kind.may_import(actor):
        raise PermissionDenied(_("You may not import these records."))
    if upload is None or not getattr(upload, "size", 1):
        raise FileRefused(_("The file is empty: choose the filled-in template."))
    if upload.size > max_upload_bytes():
        raise FileRefused(
            _("The file is larger than %(mb)d MB; a filled-in template is far smaller. Check the file, or split it.")
            % {"mb": max(1, max_upload_bytes() // (1024 * 1024))}
        )
    rows = read_rows(kind, upload)
    upload.seek(0)
    job = ImportJob(
        kind=kind.name,
        filename=_uploaded_name(upload)[:255],
        language=translation.get_language() or settings.LANGUAGE_CODE,
        rows_total=len(rows),
        background=len(rows) > background_threshold(),
    )
    job.file.save(job.filename, upload, save=False)
    job.stamp(actor)
    job.full_clean()
    job.save()
    if job.background:
        transaction.on_commit(lambda: _enqueue(job), robust=True)
    else:
        import_job_run(job=job, rows=rows)
    return job


def _enqueue(job):
    """Send ``job`` to a Celery worker; if the message cannot be sent, the job fails now (see
    ``import_start``) rather than stay queued with no message behind it."""
    from ..tasks import import_job_run_task  # noqa: PLC0415  (a service enqueues its own app's task on commit)

    try:
        import_job_run_task.delay(str(job.pk))
    except Exception:
        logger.exception("import job %s (%s) could not be enqueued", job.pk, job.kind)
        with translation.override(job.language or settings.LANGUAGE_CODE):
            message = _("The import could not be started; nothing was imported. Try again later.")
            report = {"errors": [_entry(message)]}
        now = timezone.now()
        ImportJob.objects.filter(pk=job.pk, status=S.QUEUED).update(status=S.FAILED, report=report, finished_at=now)


def _publish(job, *, live=False, **fields):
    """Save ``fields`` of ``job``.

    ``live``: called from inside the import's transaction (recording) of a job whose row is
    committed (a background job): the update goes through a connection of its own on
    PostgreSQL, so the progress bar moves before the commit, and the job's row is never locked
    by the import's transaction. (SQLite has one writer: there the figures wait for the end.)
    """
    for name, value in fields.items():
        setattr(job, name, value)
    if not live:
        ImportJob.objects.filter(pk=job.pk).update(**fields)
        return
    if connection.vendor != "postgresql":
        return
    side = connections.create_connection("default")
    try:
        side.set_autocommit(True)
        with side.cursor() as cursor:
            sets = ", ".join(f"{connection.ops.quote_name(name)} = %s" for name in fields)
            cursor.execute(
                f"UPDATE {ImportJob._meta.db_table} SET {sets} WHERE id = %s::uuid", [*fields.values(), str(job.pk)]
            )
    finally:
        side.close()


def _row_errors(kind, number, error):
    """A ValidationError keyed by input field, as report entries: row, column, field, message, and
    the line people read (``Row 3, 统一社会信用代码: …``), written in the active language."""
    headers = kind.headers
    entries = []
    messages = error.message_dict if hasattr(error, "error_dict") else {"": error.messages}
    for name, texts in messages.items():
        for text in texts:
            entry = {"row": number, "field": name if name in headers else "", "column": headers.get(name, "")}
            entry["message"] = str(text)
            entry["text"] = report_line(entry)
            entries.append(entry)
    return entries


def import_rows_check(*, kind: ImportKind, actor, rows: list[Row], progress=None):
    """Validate every row with the kind's input declaration; return ``(cleaned, errors)``.

    ``cleaned`` is ``[(row number, cleaned data)]``; ``errors`` the report entries of every bad
    cell (and of a row that repeats an earlier one, on ``kind.key_field``). Writes nothing
    (``progress(done)`` aside); the kind's lookups are read once, for the whole file.
    """
    lookups = kind.prefetch(actor=actor, rows=[row.data for row in rows]) if kind.prefetch else None
    cleaned, errors, seen = [], [], {}
    for done, row in enumerate(rows, start=1):
        form = kind.form(data=row.data, actor=actor, lookups=lookups)
        if form.is_valid():
            data = form.cleaned_data
            cleaned.append((row.number, data))
            key = kind.row_key(data) if kind.row_key else None
            if key is not None:
                if key in seen:
                    message = _("the same record as row %(row)d; list it once.") % {"row": seen[key]}
                    errors.extend(_row_errors(kind, row.number, ValidationError({kind.key_field: [message]})))
                seen.setdefault(key, row.number)
        else:
            errors.extend(_row_errors(kind, row.number, ValidationError(form.errors.as_data())))
        if progress and (done % PROGRESS_EVERY == 0 or done == len(rows)):
            progress(done)
    return cleaned, lookups, errors


def _finish(job, status, report):
    _publish(job, status=status, report=report, finished_at=timezone.now(), rows_done=job.rows_total)


def import_job_run(*, job: ImportJob, rows: list[Row] | None = None) -> ImportJob:
    """Check every row of ``job``'s file and, if none is wrong, record them all in one transaction.

    What it changes in the world:
    - the job's status and progress as it goes (``checking``, then ``recording``), then its end:
      ``rejected`` with every bad row and column in ``report["errors"]`` and nothing recorded;
      ``imported`` with the kind's summary; ``failed`` (an error on our side, logged) with nothing
      recorded;
    - when every row is valid: the kind's apply function records them, on behalf of the job's
      creator, in one transaction; a row it refuses (``ImportRowError``) rolls the whole file back.

    The report is written in the language the job was started in. A job already finished is
    left alone (a message delivered twice runs it once).
    """
    if job.finished:
        return job
    kind = import_kind(job.kind)
    actor = job.created_by
    with translation.override(job.language or settings.LANGUAGE_CODE):
        _publish(job, status=S.CHECKING, started_at=timezone.now(), rows_done=0)
        try:
            if not kind.may_import(actor):
                _finish(job, S.REJECTED, {"errors": [_entry(_("You may not import these records."))]})
                return job
            if rows is None:
                try:
                    with job.file.open("rb") as handle:
                        rows = read_rows(kind, handle)
                except FileRefused as refused:
                    _finish(job, S.REJECTED, {"errors": [_entry(m) for m in refused.messages]})
                    return job
            _publish(job, rows_total=len(rows))
            cleaned, lookups, errors = import_rows_check(
                kind=kind, actor=actor, rows=rows, progress=lambda done: _publish(job, rows_done=done)
            )
            if errors:
                _finish(job, S.REJECTED, {"errors": errors})
                return job
            _publish(job, status=S.APPLYING, rows_done=0)
            try:
                with transaction.atomic():
                    summary = kind.apply(
                        actor=actor,
                        rows=cleaned,
                        lookups=lookups,
                        progress=lambda done: _publish(job, live=job.background, rows_done=done),
                    )
            except ImportRowError as refused:
                _finish(job, S.REJECTED, {"errors": _row_errors(kind, refused.row, refused.error)})
                return job
            report = {**(summary or {}), "errors": []}
            if kind.summary_message:
                report["message"] = str(kind.summary_message(report))
            _finish(job, S.IMPORTED, report)
        except Exception:
            logger.exception("import job %s (%s) failed", job.pk, job.kind)
            _finish(
                job,
                S.FAILED,
                {"errors": [_entry(_("Something went wrong on our side; nothing was imported. Try again later."))]},
            )
    return job


def _entry(message):
    return {"row": None, "field": "", "column": "", "message": str(message), "text": str(message)}


def report_line(entry):
    """One problem as people read it: ``Row 3, 统一社会信用代码: …`` (or the message alone)."""
    if entry.get("row") is None:
        return entry["message"]
    if not entry.get("column"):
        return _("Row %(row)d: %(message)s") % {"row": entry["row"], "message": entry["message"]}
    return _("Row %(row)d, %(column)s: %(message)s") % entry
