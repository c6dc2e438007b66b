"""The shared Excel import: template → check every row → report rows and columns → apply all or nothing.

A domain app declares an import kind (``ImportKind``: its columns, the record's input
declaration, its lookups and its apply function) and registers it from its
``AppConfig.ready()`` with ``register_import_kind``; this package knows no domain app.

- ``workbook.template_workbook(kind)``: the downloadable template (a data sheet with headers and
  drop-down lists, a hidden sheet of the lists, a notes sheet with an example).
- ``workbook.read_rows(kind, file)``: the filled rows of the data sheet. What it reads is bounded
  whatever the file declares (a 5 KB file may declare a sheet of A1:XFD1048576): only the header's
  columns, at most ``kind.max_rows`` filled rows (one more is refused), and the data ends at
  ``EMPTY_ROWS_END`` (1,000) consecutive empty rows; a zip unpacking to more than 100 MB (or at an
  absurd ratio) is refused before it is parsed, a damaged sheet (found while its rows are read)
  is refused as "not an Excel file made from the template", and a file without the data sheet
  ``kind.sheet`` is told that this sheet is missing (another sheet is never read in its place).
- ``services.import_start(kind=…, actor=…, upload=…)``: refuses a file that cannot be read
  (not an .xlsx, empty, larger than ``IMPORT_MAX_UPLOAD_BYTES``, damaged, a wrong header, too
  many rows) with ``FileRefused`` and changes nothing; otherwise records an ``ImportJob`` and
  runs it, in this request for a small file, as a Celery job above ``IMPORT_BACKGROUND_ROWS``
  rows. A job whose message cannot be sent (the broker is down) is marked ``failed`` at once,
  with a message to try again later: a job never stays ``queued`` with no message behind it.
- ``services.import_job_run(job=…)``: every row is validated with the kind's input
  declaration (its lookups prefetched once for the file); any bad cell and nothing is applied;
  otherwise the kind's apply function records every row in one transaction.
- ``views``: the job's page (a progress bar, then the report) and its JSON status (its 401 and
  404 in the API's JSON error shape); only the user who started a job (and superusers) see it.
"""

from .kinds import Column, ImportKind, ImportRowError, import_kind, import_kinds, register_import_kind

__all__ = ["Column", "ImportKind", "ImportRowError", "import_kind", "import_kinds", "register_import_kind"]
