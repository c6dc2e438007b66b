"""The Excel import of a county's existing institutions with their filing (存量机构备案导入), declared
for the shared import flow (``luchen_care.core.imports``).

The county health bureau records once, from one file, the institutions that filed on paper
before the platform: each row an institution, the status it has reached (filed, or operating),
its filing date and the filing receipt's reference. The declaration
(``INSTITUTION_ONBOARDING_IMPORT``, registered in ``RegistryConfig.ready()``): the template's
columns, with Chinese headers and drop-down lists; each row validated with the one input
declaration, ``InstitutionOnboardingForm``, its lookups (the actor's streets, the credit codes
already recorded) read once per file; the rows applied by ``institution_onboard``, all or none.

The street list of the template is the downloading user's county's (``onboarding_kind_for``);
a file is read with names or codes as typed, and the form accepts only that user's streets.
"""

import datetime

from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from luchen_care.accounts.models import Authority
from luchen_care.core.imports import Column, ImportKind, ImportRowError
from luchen_care.core.imports.workbook import template_workbook

from .forms.institutions import InstitutionOnboardingForm, OnboardingLookups
from .models import InstitutionKind, InstitutionStatus, Ownership
from .permissions import can_onboard_institutions
from .selectors.streets import streets_for
from .services.institutions import institution_onboard
from .validators import uscc_check_character

DATA_SHEET = "机构数据"
MAX_ROWS = 2000  # a county's existing institutions: a few hundred
TEMPLATE_ROWS = 500
PROGRESS_EVERY = 25

# Chinese labels in the template, whatever the interface language.
KIND_LABELS = {
    InstitutionKind.STANDALONE: "托育机构（独立设置）",
    InstitutionKind.NURSERY_CLASS: "幼儿园托班",
    InstitutionKind.EMPLOYER: "用人单位办托",
    InstitutionKind.COMMUNITY: "社区嵌入式",
    InstitutionKind.FAMILY: "家庭托育点",
}
OWNERSHIP_LABELS = {Ownership.PUBLIC: "公办", Ownership.PRIVATE: "社会力量举办"}
YES_NO_LABELS = {"true": "是", "false": "否"}
AUTHORITY_LABELS = {
    Authority.MARKET_REGULATION: "市场监管局",
    Authority.CIVIL_AFFAIRS: "民政局",
    Authority.ESTABLISHMENT_OFFICE: "区委编办",
}
STATUS_LABELS = {InstitutionStatus.FILED: "已备案", InstitutionStatus.OPERATING: "已开业"}

_EXAMPLE_BODY = "91000000MA2ABCDE0"  # a made-up code of no real division
EXAMPLE_CREDIT_CODE = _EXAMPLE_BODY + uscc_check_character(_EXAMPLE_BODY)


def _choices(labels):
    return [(str(value), label) for value, label in labels.items()]


COLUMNS = [
    Column(
        "credit_code",
        "统一社会信用代码",
        24,
        "18位，与登记证照一致；平台中已有的机构不能再导入",
        example=EXAMPLE_CREDIT_CODE,
    ),
    Column("name", "机构名称", 36, "与登记证照一致", example="示例托育中心"),
    Column(
        "kind",
        "机构类型",
        18,
        "从下拉列表选择",
        example=KIND_LABELS[InstitutionKind.STANDALONE],
        choices=_choices(KIND_LABELS),
    ),
    Column(
        "ownership",
        "举办性质",
        14,
        "从下拉列表选择：公办 / 社会力量举办",
        example="社会力量举办",
        choices=_choices(OWNERSHIP_LABELS),
    ),
    Column("for_profit", "是否营利性", 12, "是 / 否", example="是", choices=_choices(YES_NO_LABELS)),
    Column("inclusive", "是否普惠", 12, "是 / 否", example="是", choices=_choices(YES_NO_LABELS)),
    Column(
        "registration_authority",
        "登记机关",
        14,
        "从下拉列表选择：市场监管局 / 民政局 / 区委编办；不明可留空",
        example="市场监管局",
        choices=_choices(AUTHORITY_LABELS),
    ),
    Column(
        "street",
        "所在街道（镇）",
        16,
        "从下拉列表选择本县（区）的街道或镇；也可填写统计用区划代码（9位）",
        strict_list=False,
    ),
    Column("address", "地址", 40, "机构地址", example="示例路1号"),
    Column("legal_representative", "法定代表人", 14, "法定代表人或负责人姓名", example="张三"),
    Column("contact_phone", "联系电话", 16, "手机号或固定电话，如 0577-88888888", example="13800000000"),
    Column("approved_places", "核定托位数", 12, "整数", example="30"),
    Column(
        "registered_on",
        "登记日期",
        14,
        "日期格式，如 2021-03-01；不能晚于今天",
        example=datetime.date(2021, 3, 1),
        kind="date",
    ),
    Column(
        "status", "目前状态", 12, "从下拉列表选择：已备案 / 已开业", example="已开业", choices=_choices(STATUS_LABELS)
    ),
    Column(
        "filed_on",
        "备案日期",
        14,
        "纸质备案的日期；不早于登记日期，不晚于今天",
        example=datetime.date(2021, 6, 15),
        kind="date",
    ),
    Column(
        "document_reference",
        "备案文号/回执编号",
        24,
        "必填：备案回执或备案文件的编号；已开业的机构，开业记录同样引用此编号",
        example="备〔2021〕12号",
    ),
    Column(
        "operating_since",
        "开业日期",
        14,
        "仅“已开业”填写：开始收托的日期，不早于备案日期；“已备案”请留空",
        example=datetime.date(2021, 7, 1),
        kind="date",
    ),
]


def _prefetch(*, actor, rows):
    return OnboardingLookups.for_rows(rows, actor)


def _apply(*, actor, rows, lookups, progress):
    reason = gettext("Filed on paper before the platform; recorded by the onboarding import.")
    summary = {"created": 0, InstitutionStatus.FILED.value: 0, InstitutionStatus.OPERATING.value: 0}
    for done, (number, cleaned) in enumerate(rows, start=1):
        try:
            institution_onboard(actor=actor, reason=reason, **cleaned)
        except ValidationError as refused:
            raise ImportRowError(number, refused) from refused
        summary["created"] += 1
        summary[cleaned["status"]] += 1
        if done % PROGRESS_EVERY == 0 or done == len(rows):
            progress(done)
    return summary


def _summary(report):
    return gettext("Recorded %(created)d institutions: %(filed)d filed, %(operating)d operating.") % report


INSTITUTION_ONBOARDING_IMPORT = ImportKind(
    name="registry.institution_onboarding",
    label=_("Institutions filed on paper"),
    form=InstitutionOnboardingForm,
    columns=COLUMNS,
    apply=_apply,
    may_import=can_onboard_institutions,
    prefetch=_prefetch,
    row_key=lambda cleaned: cleaned["credit_code"],
    key_field="credit_code",
    sheet=DATA_SHEET,
    notes=(
        "本模板用于录入平台上线前已纸质备案的托育机构，每家机构一行；只新增平台中尚无的机构。",
        "“目前状态”为“已开业”的机构，同时记录备案和开业；为“已备案”的机构，只记录备案。",
    ),
    template_name="institutions",
    max_rows=MAX_ROWS,
    template_rows=TEMPLATE_ROWS,
    summary_message=_summary,
    records_url="admin:registry_institution_changelist",
    upload_url="admin:registry_institution_import",
)


def onboarding_kind_for(actor) -> ImportKind:
    """The import as ``actor`` downloads its template: the street list (and the example) are
    the streets ``actor`` sees, its county's."""
    streets = [(street.name, street.name) for street in streets_for(actor)]
    return INSTITUTION_ONBOARDING_IMPORT.with_choices("street", streets, example=streets[0][1] if streets else "")


def onboarding_template(actor) -> bytes:
    """The import template for ``actor``: a data sheet with headers and drop-downs, a notes sheet with an example."""
    return template_workbook(onboarding_kind_for(actor))
