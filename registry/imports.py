"""The Excel import of registrations, declared for the shared import flow (``luchen_care.core.imports``).

The declaration (``REGISTRATION_IMPORT``, registered in ``RegistryConfig.ready()``): the
template's columns, with Chinese headers and drop-down lists; each row validated with the one
input declaration, ``RegistrationForm``, its lookups (streets, the institutions of the file's
credit codes, the push windows) read once per file; the rows applied by
``registrations_record_many``, all or none. The template's example row and notes are on a
separate sheet, so an unedited template never imports a made-up record.
"""

import datetime

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from luchen_care.accounts.models import Authority
from luchen_care.core.imports import Column, ImportKind, ImportRowError
from luchen_care.core.imports.workbook import template_workbook

from .forms.registrations import RegistrationForm, RegistrationLookups
from .models import RegistrationKind, RegistrationSource, Street
from .permissions import can_record_registration
from .selectors.streets import streets_for
from .services.registrations import RegistrationRowRefused, registrations_record_many
from .validators import uscc_check_character

DATA_SHEET = "登记数据"
NOTES_SHEET = "填写说明"
LISTS_SHEET = "下拉选项"
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
    ("street_code", "所在街道（镇）", 16, "从下拉列表选择街道或镇；也可填写9位统计用区划代码"),
    ("address", "地址", 40, "登记住所"),
    ("legal_representative", "法定代表人", 14, "法定代表人或负责人姓名"),
    (
        "correction_reason",
        "更正原因",
        30,
        "仅限卫健局填写：信用代码首位与登记机关不符，或机构登记在其他登记机关时，写明更正原因；登记机关请留空",
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
    "registration_number": "330000000012345",
    "registered_on": datetime.date(2026, 2, 13),
    "kind": "新设登记",
    "credit_code": "91330000MA2ABCDE0" + uscc_check_character("91330000MA2ABCDE0"),
    "institution_name": "示例托育有限公司",
    "street_code": "示例街道",
    "address": "示例街道解放街1号",
    "legal_representative": "张三",
    "correction_reason": "",
}


def _streets():
    # Street names or codes are both accepted, so no error stops someone typing a code.
    return [(street.code, street.name) for street in Street.objects.order_by("code")]


_CHOICES = {
    "authority": (list(AUTHORITY_LABELS.items()), True),
    "kind": (list(KIND_LABELS.items()), True),
    "street_code": (_streets, False),
}


def _column(name, header, width, note):
    choices, strict = _CHOICES.get(name, (None, True))
    return Column(
        field=name,
        header=header,
        width=width,
        note=note,
        example=EXAMPLE[name],
        choices=choices,
        strict_list=strict,
        kind="date" if name == "registered_on" else "text",
        required=name not in OPTIONAL_COLUMNS,
    )


def _prefetch(*, actor, rows):
    return RegistrationLookups.for_rows(rows, actor)


def _apply(*, actor, rows, lookups, progress):
    try:
        return registrations_record_many(actor=actor, source=RegistrationSource.EXCEL, rows=rows, progress=progress)
    except RegistrationRowRefused as refused:
        raise ImportRowError(refused.row, refused) from refused


def _summary(report):
    return gettext("Imported %(created)d registrations; %(existing)d were already recorded.") % report


REGISTRATION_IMPORT = ImportKind(
    name="registry.registration",
    label=_("Registrations"),
    form=RegistrationForm,
    columns=[_column(*column) for column in COLUMNS],
    apply=_apply,
    may_import=can_record_registration,
    prefetch=_prefetch,
    row_key=lambda cleaned: (cleaned["authority"], cleaned["registration_number"]),
    key_field="registration_number",
    sheet=DATA_SHEET,
    lists_sheet=LISTS_SHEET,
    notes_sheet=NOTES_SHEET,
    notes=("同一登记机关、同一登记编号再次导入不会重复登记。",),
    template_name="registrations",
    max_rows=MAX_ROWS,
    template_rows=TEMPLATE_ROWS,
    summary_message=_summary,
    records_url="admin:registry_registration_changelist",
    upload_url="admin:registry_registration_import",
)


def registration_kind_for(actor) -> ImportKind:
    """The import as ``actor`` downloads its template: the street list and the example are the
    streets ``actor`` sees, its county's (the registered kind accepts any code and lets the form judge)."""
    streets = [(street.code, street.name) for street in streets_for(actor)]
    return REGISTRATION_IMPORT.with_choices("street_code", streets, example=streets[0][1] if streets else None)


def registration_template(actor=None) -> bytes:
    """The import template: a data sheet with headers and drop-downs, and a notes sheet with an example."""
    return template_workbook(REGISTRATION_IMPORT if actor is None else registration_kind_for(actor))
