"""Excel import of registrations (openpyxl): the template the admin offers, and the all-or-nothing import.

The template's data sheet has Chinese headers and drop-down lists; an example row and
notes are on a separate sheet, so an unedited template never imports a made-up record.
"""

import datetime
from dataclasses import dataclass, field
from io import BytesIO

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from luchen_care.accounts.models import Authority

from .models import RegistrationKind, RegistrationSource, Street
from .services.registrations import registration_record, registration_validate
from .validators import uscc_check_character

DATA_SHEET = "登记数据"
NOTES_SHEET = "填写说明"
MAX_ROWS = 5000
TEMPLATE_ROWS = 500  # rows that carry the drop-down lists

# (input field, Chinese header, column width, note)
COLUMNS = [
    ("authority", "登记机关", 14, "从下拉列表选择：市场监管局 / 民政局 / 区委编办"),
    ("registration_number", "登记编号", 22, "登记机关出具的登记编号；同一登记机关的编号不重复"),
    ("registered_on", "登记日期", 14, "日期格式，如 2026-02-13；不能晚于今天"),
    ("kind", "登记类型", 12, "从下拉列表选择：新设登记 / 变更登记 / 注销登记"),
    ("credit_code", "统一社会信用代码", 24, "18位；编办登记以1开头，民政登记以5开头，市场监管登记以9开头"),
    ("institution_name", "机构名称", 36, "与登记证照一致"),
    ("street_code", "所在街道（镇）", 16, "从下拉列表选择街道或镇；也可填写统计用区划代码，如 330302006"),
    ("address", "地址", 40, "登记住所"),
    ("legal_representative", "法定代表人", 14, "法定代表人或负责人姓名"),
    (
        "correction_reason",
        "更正原因",
        30,
        "仅限区卫健局填写：信用代码首位与登记机关不符，或机构登记在其他登记机关时，写明更正原因；登记机关请留空",
    ),
]
# Columns a file made from an older template may lack.
OPTIONAL_COLUMNS = {"correction_reason"}
HEADER = {name: header for name, header, _w, _n in COLUMNS}

# Chinese labels in the template, whatever the interface language.
AUTHORITY_LABELS = {
    Authority.MARKET_REGULATION: "市场监管局",
    Authority.CIVIL_AFFAIRS: "民政局",
    Authority.ESTABLISHMENT_OFFICE: "区委编办",
}
KIND_LABELS = {
    RegistrationKind.NEW: "新设登记",
    RegistrationKind.CHANGE: "变更登记",
    RegistrationKind.DEREGISTRATION: "注销登记",
}
EXAMPLE = {
    "authority": "市场监管局",
    "registration_number": "330302000012345",
    "registered_on": datetime.date(2026, 2, 13),
    "kind": "新设登记",
    "credit_code": "91330302MA2ABCDE0" + uscc_check_character("91330302MA2ABCDE0"),
    "institution_name": "温州市鹿城区示例托育有限公司",
    "street_code": "五马街道",
    "address": "温州市鹿城区五马街道解放街1号",
    "legal_representative": "张三",
    "correction_reason": "",
}


def registration_template() -> bytes:
    """The import template: a data sheet with headers and drop-downs, and a notes sheet with an example."""
    wb = Workbook()
    ws = wb.active
    ws.title = DATA_SHEET
    ws.append([header for _n, header, _w, _note in COLUMNS])
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
    for index, (_name, _h, width, _note) in enumerate(COLUMNS, start=1):
        ws.column_dimensions[get_column_letter(index)].width = width
    ws.freeze_panes = "A2"

    lists = wb.create_sheet("下拉选项")
    streets = [s.name for s in Street.objects.order_by("code")]
    for row, values in enumerate(zip(AUTHORITY_LABELS.values(), KIND_LABELS.values(), strict=True), start=1):
        lists.cell(row=row, column=1, value=values[0])
        lists.cell(row=row, column=2, value=values[1])
    for row, name in enumerate(streets, start=1):
        lists.cell(row=row, column=3, value=name)
    lists.sheet_state = "hidden"

    def column_of(name):
        return get_column_letter([c[0] for c in COLUMNS].index(name) + 1)

    def add_list(name, source):
        validation = DataValidation(type="list", formula1=source, allow_blank=True, showErrorMessage=True)
        validation.error = "请从下拉列表中选择。"
        ws.add_data_validation(validation)
        validation.add(f"{column_of(name)}2:{column_of(name)}{TEMPLATE_ROWS + 1}")

    add_list("authority", f"'下拉选项'!$A$1:$A${len(AUTHORITY_LABELS)}")
    add_list("kind", f"'下拉选项'!$B$1:$B${len(KIND_LABELS)}")
    if streets:
        # Street names or codes are both accepted, so no error stops someone typing a code.
        validation = DataValidation(type="list", formula1=f"'下拉选项'!$C$1:$C${len(streets)}", allow_blank=True)
        validation.showErrorMessage = False
        ws.add_data_validation(validation)
        validation.add(f"{column_of('street_code')}2:{column_of('street_code')}{TEMPLATE_ROWS + 1}")
    dates = DataValidation(type="date", operator="greaterThan", formula1="36526", allow_blank=True)
    dates.error = "请填写日期，如 2026-02-13。"
    dates.showErrorMessage = True
    ws.add_data_validation(dates)
    dates.add(f"{column_of('registered_on')}2:{column_of('registered_on')}{TEMPLATE_ROWS + 1}")
    for row in range(2, TEMPLATE_ROWS + 2):
        ws[f"{column_of('registered_on')}{row}"].number_format = "yyyy-mm-dd"
        for name in ("registration_number", "credit_code"):
            ws[f"{column_of(name)}{row}"].number_format = "@"  # text: keep leading zeros and long numbers

    notes = wb.create_sheet(NOTES_SHEET)
    notes.append(["列", "填写说明", "示例"])
    for cell in notes[1]:
        cell.font = Font(bold=True)
    for name, header, _w, note in COLUMNS:
        example = EXAMPLE[name]
        notes.append([header, note, example.isoformat() if isinstance(example, datetime.date) else example])
    notes.append([])
    notes.append(["", f"请在“{DATA_SHEET}”工作表填写，每行一条登记，最多 {MAX_ROWS} 行。"])
    notes.append(["", "导入时逐行逐列检查；任何一行有误，整个文件都不导入，请按提示改正后重新上传。"])
    notes.append(["", "同一登记机关、同一登记编号再次导入不会重复登记。"])
    notes.column_dimensions["A"].width = 18
    notes.column_dimensions["B"].width = 70
    notes.column_dimensions["C"].width = 40

    buffer = BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def template_filename():
    return f"registrations-template-{timezone.localdate():%Y%m%d}.xlsx"


@dataclass
class ImportResult:
    created: list = field(default_factory=list)
    existing: list = field(default_factory=list)
    errors: list = field(default_factory=list)  # "Row 3, 统一社会信用代码: ..." messages

    @property
    def ok(self):
        return not self.errors


def _cell_text(value):
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _lookup(value, labels):
    text = _cell_text(value)
    for code, label in labels.items():
        if text in (label, code, str(code.label)):
            return code
    return text  # left for the service to refuse with its own message


def _street_code(value, streets):
    text = _cell_text(value)
    return streets.get(text, text)


def _row_error(row, name, message):
    if name not in HEADER:
        return _("Row %(row)d: %(message)s") % {"row": row, "message": message}
    return _("Row %(row)d, %(column)s: %(message)s") % {"row": row, "column": HEADER[name], "message": message}


def _read_rows(file, result):
    """Yield ``(row_number, fields)`` from the data sheet; problems with the file itself go to ``result``."""
    try:
        wb = load_workbook(file, read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a file that is not .xlsx
        result.errors.append(_("This is not an Excel (.xlsx) file made from the template."))
        return
    ws = wb[DATA_SHEET] if DATA_SHEET in wb.sheetnames else wb.worksheets[0]
    rows = ws.iter_rows(values_only=True)
    header = [_cell_text(v) for v in next(rows, ())]
    positions = {}
    for name, title, _w, _n in COLUMNS:
        if title in header:
            positions[name] = header.index(title)
        elif name not in OPTIONAL_COLUMNS:
            result.errors.append(_("Row 1: the column “%(column)s” is missing; use the template.") % {"column": title})
    if result.errors:
        return
    streets = {s.name: s.code for s in Street.objects.all()}
    count = 0
    for number, values in enumerate(rows, start=2):
        if not any(_cell_text(v) for v in values):
            continue
        count += 1
        if count > MAX_ROWS:
            result.errors.append(_("The file has more than %(n)d rows; split it into smaller files.") % {"n": MAX_ROWS})
            return
        cell = {name: (values[i] if i < len(values) else None) for name, i in positions.items()}
        cell.setdefault("correction_reason", None)
        registered_on = cell["registered_on"]
        if not isinstance(registered_on, datetime.date):
            registered_on = _cell_text(registered_on).replace("/", "-").replace(".", "-")
        yield (
            number,
            {
                "authority": _lookup(cell["authority"], AUTHORITY_LABELS),
                "registration_number": _cell_text(cell["registration_number"]),
                "registered_on": registered_on,
                "kind": _lookup(cell["kind"], KIND_LABELS),
                "credit_code": _cell_text(cell["credit_code"]),
                "institution_name": _cell_text(cell["institution_name"]),
                "street_code": _street_code(cell["street_code"], streets),
                "address": _cell_text(cell["address"]),
                "legal_representative": _cell_text(cell["legal_representative"]),
                "correction_reason": _cell_text(cell["correction_reason"]),
            },
        )


def registrations_import(*, actor, file) -> ImportResult:
    """Record every registration in an uploaded template, or none of them.

    Every row is checked first and every bad cell reported (``Row 3, 统一社会信用代码: …``);
    only a file without errors is applied, in one transaction, each row through
    ``registration_record`` (so a row already recorded is found, not duplicated).
    """
    result = ImportResult()
    rows = []
    seen = {}
    for number, fields in _read_rows(file, result):
        try:
            registration_validate(actor=actor, **fields)
        except PermissionDenied:
            raise
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                result.errors.extend(_row_error(number, name, message) for message in messages)
        key = (fields["authority"], fields["registration_number"])
        if fields["registration_number"] and key in seen:
            result.errors.append(
                _row_error(
                    number,
                    "registration_number",
                    _("the same registration as row %(row)d; list it once.") % {"row": seen[key]},
                )
            )
        seen.setdefault(key, number)
        rows.append((number, fields))
    if not rows and not result.errors:
        result.errors.append(_("The file has no registrations in it."))
    if result.errors:
        return result
    try:
        with transaction.atomic():
            for number, fields in rows:
                try:
                    registration, created = registration_record(actor=actor, source=RegistrationSource.EXCEL, **fields)
                except ValidationError as exc:
                    for name, messages in exc.message_dict.items():
                        result.errors.extend(_row_error(number, name, message) for message in messages)
                    raise
                (result.created if created else result.existing).append(registration)
    except ValidationError:
        result.created, result.existing = [], []
    return result
