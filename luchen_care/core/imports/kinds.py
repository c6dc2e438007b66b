"""What a domain app declares to import a record from Excel, and the registry of those declarations."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from django.core.exceptions import ImproperlyConfigured


@dataclass(frozen=True)
class Column:
    """One column of the data sheet: the input field it fills and how the template presents it.

    ``header`` is the sheet's fixed (Chinese) heading, whatever the interface language: it is
    the file's format. A column with ``choices`` (``[(value, label), …]``, or a callable that
    returns them, read once per template and per file) gets a drop-down list of the labels; a
    cell may hold a label or a value, and anything else is passed to the input declaration as
    typed, to be refused with its own message. ``strict_list`` makes Excel itself refuse a
    value not in the list. ``kind`` is ``"text"`` (kept as text: leading zeros, long numbers)
    or ``"date"``. A column that is not ``required`` may be missing from a file made from an
    older template.
    """

    field: str
    header: str
    width: int = 16
    note: str = ""
    example: object = ""
    choices: Sequence | Callable | None = None
    strict_list: bool = True
    kind: str = "text"
    required: bool = True

    def choice_pairs(self):
        choices = self.choices() if callable(self.choices) else self.choices
        return [(str(value), str(label)) for value, label in (choices or ())]


class ImportRowError(Exception):
    """Raised by an apply function: row ``row`` cannot be recorded; ``error`` is a ValidationError
    keyed by input field. The whole file is rolled back and the row reported."""

    def __init__(self, row, error):
        self.row, self.error = row, error
        super().__init__(f"row {row}: {error}")


@dataclass(frozen=True)
class ImportKind:
    """An import kind, as a domain app declares it.

    - ``form``: the record's one input declaration, a Django form taking ``data``, ``actor`` and
      ``lookups``; each row is validated with it, its errors keyed by field.
    - ``prefetch(actor=…, rows=…)``: the lookups for a whole file (rows as the form receives them),
      read once, so checking a row costs no query; passed to ``form`` and ``apply``.
    - ``apply(actor=…, rows=…, lookups=…, progress=…)``: records the valid rows (``[(row number,
      cleaned data)]``) inside the import's transaction, calls ``progress(done)`` now and then,
      returns a summary (``{"created": n, "existing": n}``); raises ``ImportRowError`` to refuse the file.
    - ``may_import(user)``: who may import it (the faces check it too).
    - ``row_key(cleaned)``: two rows with the same key are the same record; the second is
      reported on ``key_field``.
    - ``records_url`` and ``upload_url``: URL names of the records' list and of the upload page,
      which the job's page links to (where the user came from, and where to go next).
    """

    name: str
    label: str
    form: type
    columns: Sequence[Column]
    apply: Callable
    may_import: Callable
    prefetch: Callable | None = None
    row_key: Callable | None = None
    key_field: str = ""
    sheet: str = "数据"
    lists_sheet: str = "下拉选项"
    notes_sheet: str = "填写说明"
    notes: Sequence[str] = field(default_factory=tuple)
    template_name: str = "import"
    max_rows: int = 5000
    template_rows: int = 500  # rows of the template that carry the drop-down lists and formats
    summary_message: Callable | None = None  # summary dict → the message shown when the file is imported
    records_url: str = ""
    upload_url: str = ""

    @property
    def headers(self):
        return {column.field: column.header for column in self.columns}

    def with_choices(self, field_name, choices, *, example=None):
        """This kind with ``field_name``'s drop-down list (and example) replaced: the template one
        user downloads, e.g. with its own county's streets. The registered kind is left as it is."""
        columns = [
            replace(column, choices=choices, example=column.example if example is None else example)
            if column.field == field_name
            else column
            for column in self.columns
        ]
        return replace(self, columns=columns)


_KINDS: dict[str, ImportKind] = {}


def register_import_kind(kind: ImportKind) -> ImportKind:
    """Make ``kind`` known to the import flow; call it from the app's ``AppConfig.ready()``."""
    known = _KINDS.get(kind.name)
    if known is not None and known is not kind:
        raise ImproperlyConfigured(f"import kind {kind.name!r} is registered twice")
    _KINDS[kind.name] = kind
    return kind


def import_kind(name) -> ImportKind:
    try:
        return _KINDS[name]
    except KeyError:
        raise LookupError(f"no import kind {name!r} is registered") from None


def import_kinds():
    return dict(_KINDS)
