"""The Excel side of an import (openpyxl): the template a kind offers, and reading an uploaded file."""

import datetime
import zipfile
import zlib
from dataclasses import dataclass
from io import BytesIO
from xml.etree import ElementTree

from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from .kinds import ImportKind

# Excel's serial day 36526 is 2000-01-01: a date cell must be later than that.
_EXCEL_2000 = "36526"


class FileRefused(Exception):
    """The uploaded file cannot be imported at all (not an .xlsx, empty, a wrong header, too many
    rows); ``messages`` say what to do, in the user's language. Nothing was changed."""

    def __init__(self, *messages):
        self.messages = [str(m) for m in messages]
        super().__init__("; ".join(self.messages))


@dataclass(frozen=True)
class Row:
    number: int  # the row's number in the sheet, as Excel shows it
    data: dict  # input field → the cell's value, as the input declaration receives it


def template_workbook(kind: ImportKind) -> bytes:
    """The import template of ``kind``: a data sheet with its headers and drop-down lists, a hidden
    sheet of the lists, and a notes sheet with each column's note and an example.

    The example is on the notes sheet, not the data sheet: an unedited template imports nothing.
    """
    wb = Workbook()
    ws = wb.active
    ws.title = kind.sheet
    ws.append([column.header for column in kind.columns])
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
    ws.freeze_panes = "A2"
    last = kind.template_rows + 1

    listed = [column for column in kind.columns if column.choices is not None]
    lists = wb.create_sheet(kind.lists_sheet) if listed else None
    for index, column in enumerate(kind.columns, start=1):
        letter = get_column_letter(index)
        ws.column_dimensions[letter].width = column.width
        cells = f"{letter}2:{letter}{last}"
        if column.kind == "date":
            dates = DataValidation(type="date", operator="greaterThan", formula1=_EXCEL_2000, allow_blank=True)
            dates.error = "请填写日期，如 2026-02-13。"
            dates.showErrorMessage = True
            ws.add_data_validation(dates)
            dates.add(cells)
        for row in range(2, last + 1):
            ws[f"{letter}{row}"].number_format = "yyyy-mm-dd" if column.kind == "date" else "@"
    for list_index, column in enumerate(listed, start=1):
        labels = [label for _value, label in column.choice_pairs()]
        list_letter = get_column_letter(list_index)
        for row, label in enumerate(labels, start=1):
            lists.cell(row=row, column=list_index, value=label)
        if not labels:
            continue
        validation = DataValidation(
            type="list",
            formula1=f"'{kind.lists_sheet}'!${list_letter}$1:${list_letter}${len(labels)}",
            allow_blank=True,
        )
        validation.showErrorMessage = column.strict_list
        validation.error = "请从下拉列表中选择。"
        ws.add_data_validation(validation)
        letter = get_column_letter(list(kind.columns).index(column) + 1)
        validation.add(f"{letter}2:{letter}{last}")
    if lists is not None:
        lists.sheet_state = "hidden"

    notes = wb.create_sheet(kind.notes_sheet)
    notes.append(["列", "填写说明", "示例"])
    for cell in notes[1]:
        cell.font = Font(bold=True)
    for column in kind.columns:
        example = column.example
        notes.append([column.header, column.note, example.isoformat() if hasattr(example, "isoformat") else example])
    notes.append([])
    notes.append(["", f"请在“{kind.sheet}”工作表填写，每行一条记录，最多 {kind.max_rows} 行。"])
    notes.append(["", "导入时逐行逐列检查；任何一行有误，整个文件都不导入，请按提示改正后重新上传。"])
    for line in kind.notes:
        notes.append(["", line])
    notes.column_dimensions["A"].width = 18
    notes.column_dimensions["B"].width = 70
    notes.column_dimensions["C"].width = 40

    buffer = BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def cell_text(value):
    """A cell as the text a person typed: ``None`` is empty, 12.0 is "12", spaces trimmed."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _cell_value(column, value, labels):
    if column.kind == "date":
        if isinstance(value, datetime.datetime):
            return value.date()
        if isinstance(value, datetime.date):
            return value
        # Typed as text: 2026/3/2 and 2026.3.2 read as 2026-03-02.
        text = cell_text(value).replace("/", "-").replace(".", "-")
        parts = text.split("-")
        if len(parts) == 3 and all(p.isdigit() for p in parts):
            text = f"{int(parts[0]):04d}-{int(parts[1]):02d}-{int(parts[2]):02d}"
        return text
    text = cell_text(value)
    if labels is not None:
        return labels.get(text, text)
    return text


# Reading is bounded whatever the file declares: openpyxl's read-only mode pads every missing row up
# to the sheet's declared dimension and every row to its declared width, so a 5 KB file declaring
# A1:XFD1048576 would otherwise be 17 billion empty cells.
# - the header is read over its first HEADER_COLUMNS columns, the rows only over the header's columns;
# - the data ends at EMPTY_ROWS_END consecutive empty rows (the template has a few hundred
#   formatted rows; a person does not leave a thousand empty rows inside a list, so a cell after
#   that is a stray one, and it is not read);
# - more than ``kind.max_rows`` filled rows are refused as soon as the next one is seen;
# - the .xlsx (a zip) may not unpack to more than MAX_UNPACKED_BYTES, nor at an absurd ratio
#   (above MAX_RATIO once it unpacks to more than RATIO_FLOOR bytes), before anything is parsed.
HEADER_COLUMNS = 100
EMPTY_ROWS_END = 1000
MAX_UNPACKED_BYTES = 100 * 1024 * 1024
RATIO_FLOOR = 10 * 1024 * 1024
MAX_RATIO = 100

# What openpyxl and the XML parser it uses here (xml.etree: lxml is not installed) raise for a
# damaged file while the sheet is parsed, lazily, as its rows are read: a numeric cell holding text
# (ValueError), truncated XML or a forbidden character such as &#0; (ParseError), a damaged zip
# member (BadZipFile, zlib.error, EOFError).
_DAMAGED = (
    ValueError,
    TypeError,
    KeyError,
    IndexError,
    OSError,
    EOFError,
    zipfile.BadZipFile,
    zlib.error,
    ElementTree.ParseError,
)


def _not_the_template():
    return FileRefused(
        _("This is not an Excel (.xlsx) file made from the template; download the template and fill it in.")
    )


def _check_archive(file):
    """Refuse a zip that would unpack to too much (a zip bomb) before openpyxl opens it."""
    try:
        with zipfile.ZipFile(file) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise _not_the_template() from exc
    unpacked = sum(member.file_size for member in members)
    packed = sum(member.compress_size for member in members) or 1
    if unpacked > MAX_UNPACKED_BYTES or (unpacked > RATIO_FLOOR and unpacked / packed > MAX_RATIO):
        raise FileRefused(
            _("The file unpacks to far more data than a filled-in template; download the template and fill it in.")
        )
    if hasattr(file, "seek"):
        file.seek(0)


def read_rows(kind: ImportKind, file) -> list[Row]:
    """Every filled row of ``file``'s data sheet, as the input declaration receives it.

    Raises ``FileRefused`` for a file that is not an .xlsx (or is damaged, or unpacks to far too
    much), has no data sheet ``kind.sheet``, lacks a required column, has no filled row, or has
    more than ``kind.max_rows``. Empty rows are skipped (their numbers are kept, so reports match
    what Excel shows); the data ends at ``EMPTY_ROWS_END`` consecutive empty rows. What is read is
    bounded by the header's columns and ``kind.max_rows``, never by what the sheet declares.
    """
    if hasattr(file, "seek"):
        file.seek(0)
    _check_archive(file)
    try:
        wb = load_workbook(file, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError, IndexError) as exc:
        raise _not_the_template() from exc
    except Exception as exc:  # openpyxl raises many kinds for a damaged or foreign file
        raise _not_the_template() from exc
    try:
        if kind.sheet not in wb.sheetnames:
            raise FileRefused(
                _("The sheet “%(sheet)s” is missing; use the template and fill in that sheet.") % {"sheet": kind.sheet}
            )
        found = _read_sheet(kind, wb[kind.sheet])
    except _DAMAGED as exc:
        raise _not_the_template() from exc
    finally:
        wb.close()
    if not found:
        raise FileRefused(
            _("The file has no rows to import: fill in the data sheet “%(sheet)s”.") % {"sheet": kind.sheet}
        )
    return found


def _read_sheet(kind, ws):
    first = next(ws.iter_rows(min_row=1, max_row=1, max_col=HEADER_COLUMNS, values_only=True), ())
    header = [cell_text(v) for v in first]
    positions, missing = {}, []
    for column in kind.columns:
        if column.header in header:
            positions[column.field] = header.index(column.header)
        elif column.required:
            missing.append(column.header)
    if missing:
        raise FileRefused(
            *(
                _("Row 1: the column “%(column)s” is missing; use the template.") % {"column": header_}
                for header_ in missing
            )
        )
    labels = {
        column.field: {text: value for value, label in column.choice_pairs() for text in (label, value)}
        for column in kind.columns
        if column.choices is not None
    }
    width = max(positions.values(), default=0) + 1
    found, empty = [], 0
    for number, values in enumerate(ws.iter_rows(min_row=2, max_col=width, values_only=True), start=2):
        if not values or not any(cell_text(v) for v in values):
            empty += 1
            if empty >= EMPTY_ROWS_END:
                break
            continue
        empty = 0
        if len(found) == kind.max_rows:
            raise FileRefused(
                _("The file has more than %(n)d rows; split it into files of at most %(n)d rows.")
                % {"n": kind.max_rows}
            )
        data = {}
        for column in kind.columns:
            index = positions.get(column.field)
            value = values[index] if index is not None and index < len(values) else None
            data[column.field] = _cell_value(column, value, labels.get(column.field))
        found.append(Row(number, data))
    return found
