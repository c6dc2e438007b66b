"""The Excel side of an import (openpyxl): the template a kind offers, and reading an uploaded file."""

import datetime
import zipfile
from dataclasses import dataclass
from io import BytesIO

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


def read_rows(kind: ImportKind, file) -> list[Row]:
    """Every filled row of ``file``'s data sheet, as the input declaration receives it.

    Raises ``FileRefused`` for a file that is not an .xlsx, has no data sheet header the kind
    knows, lacks a required column, has no filled row, or has more than ``kind.max_rows``.
    Empty rows are skipped (their numbers are kept, so reports match what Excel shows).
    """
    if hasattr(file, "seek"):
        file.seek(0)
    try:
        wb = load_workbook(file, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError, IndexError) as exc:
        raise FileRefused(
            _("This is not an Excel (.xlsx) file made from the template; download the template and fill it in.")
        ) from exc
    except Exception as exc:  # openpyxl raises many kinds for a damaged or foreign file
        raise FileRefused(
            _("This is not an Excel (.xlsx) file made from the template; download the template and fill it in.")
        ) from exc
    try:
        ws = wb[kind.sheet] if kind.sheet in wb.sheetnames else wb.worksheets[0]
        rows = ws.iter_rows(values_only=True)
        header = [cell_text(v) for v in next(rows, ())]
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
        found = []
        for number, values in enumerate(rows, start=2):
            if not values or not any(cell_text(v) for v in values):
                continue
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
    finally:
        wb.close()
    if not found:
        raise FileRefused(
            _("The file has no rows to import: fill in the data sheet “%(sheet)s”.") % {"sheet": kind.sheet}
        )
    return found
