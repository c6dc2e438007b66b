"""The shared Excel import: template → check every row → report rows and columns → apply all or nothing.

A domain app declares an import kind (``ImportKind``: its columns, the record's input
declaration, its lookups and its apply function) and registers it from its
``AppConfig.ready()`` with ``register_import_kind``; this package knows no domain app.

- ``workbook.template_workbook(kind)``: the downloadable template (a data sheet with headers and
  drop-down lists, a hidden sheet of the lists, a notes sheet with an example).
- ``services.import_start(kind=…, actor=…, upload=…)``: refuses a file that cannot be read
  (not an .xlsx, empty, a wrong header, too many rows) with ``FileRefused`` and changes
  nothing; otherwise records an ``ImportJob`` and runs it, in this request for a small file,
  as a Celery job above ``IMPORT_BACKGROUND_ROWS`` rows.
- ``services.import_job_run(job=…)``: every row is validated with the kind's input
  declaration (its lookups prefetched once for the file); any bad cell and nothing is applied;
  otherwise the kind's apply function records every row in one transaction.
- ``views``: the job's page (a progress bar, then the report) and its JSON status; only the
  user who started a job (and superusers) see it.
"""

from .kinds import Column, ImportKind, ImportRowError, import_kind, import_kinds, register_import_kind

__all__ = ["Column", "ImportKind", "ImportRowError", "import_kind", "import_kinds", "register_import_kind"]
