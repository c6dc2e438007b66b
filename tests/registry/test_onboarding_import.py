"""The county health bureau's import of institutions filed on paper (registry/onboarding.py), as the
bureau sees it in the admin: the template with its county's streets, a valid file recorded with
each institution's filing (and start of operations), a file with bad cells reported cell by cell
in Chinese with nothing recorded, and everyone else refused."""

import datetime
import io
import pathlib

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from luchen_care.accounts.models import Authority, Role
from luchen_care.core.imports.selectors import ImportReport
from luchen_care.core.imports.services import import_rows_check
from luchen_care.core.imports.workbook import Row
from luchen_care.core.models import ImportJob, ImportJobStatus
from luchen_care.regions.models import County
from registry.models import Institution, InstitutionStatus, InstitutionStep, InstitutionTransition
from registry.onboarding import COLUMNS, DATA_SHEET, INSTITUTION_ONBOARDING_IMPORT
from registry.services.streets import county_streets_load
from tests.accounts.factories import UserFactory
from tests.core.conftest import media  # noqa: F401  (fixture)
from tests.registry.factories import InstitutionFactory, make_credit_code, street

D = datetime.date
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]
ADMIN = "/admin/registry/institution/"
IMPORT, TEMPLATE = f"{ADMIN}import/", f"{ADMIN}import/template/"
HEADERS = [column.header for column in COLUMNS]
ZHUANGYUAN = "330303006"  # 状元街道 of 龙湾区, another county


def row(n, **overrides):
    """A row as a person fills the template in: an operating stand-alone institution of 五马街道."""
    data = {
        "credit_code": make_credit_code(70_000 + n),
        "name": f"纸质备案托育园{n}号",
        "kind": "托育机构（独立设置）",
        "ownership": "社会力量举办",
        "for_profit": "是",
        "inclusive": "否",
        "registration_authority": "市场监管局",
        "street": "五马街道",
        "address": f"温州市鹿城区解放街{n}号",
        "legal_representative": "王晓燕",
        "contact_phone": "13800000000",
        "approved_places": 40,
        "registered_on": D(2021, 3, 1),
        "status": "已开业",
        "filed_on": D(2021, 6, 15),
        "document_reference": f"鹿卫托备〔2021〕{n}号",
        "operating_since": D(2021, 7, 1),
    }
    data.update(overrides)
    return [data[column.field] for column in COLUMNS]


def workbook(rows, name="institutions.xlsx"):
    from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: PLC0415

    wb = Workbook()
    ws = wb.active
    ws.title = DATA_SHEET
    ws.append(HEADERS)
    for values in rows:
        ws.append(values)
    buffer = io.BytesIO()
    wb.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())


@pytest.fixture
def longwan(db):
    county_streets_load(code="330303")
    return County.objects.get(code="330303")


@pytest.fixture
def bureau(admin_client_for, health_user):
    return admin_client_for(health_user)


def test_the_template_has_the_chinese_headers_and_only_the_bureaus_own_streets(bureau, longwan):
    changelist = bureau.get(ADMIN).content.decode()
    assert f'href="{IMPORT}"' in changelist
    page = bureau.get(IMPORT).content.decode()
    assert f'href="{TEMPLATE}"' in page

    response = bureau.get(TEMPLATE)

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="institutions-template-')
    book = load_workbook(io.BytesIO(response.content))
    assert [cell.value for cell in book[DATA_SHEET][1]] == [
        "统一社会信用代码", "机构名称", "机构类型", "举办性质", "是否营利性", "是否普惠", "登记机关",
        "所在街道（镇）", "地址", "法定代表人", "联系电话", "核定托位数", "登记日期", "目前状态", "备案日期",
        "备案文号/回执编号", "开业日期",
    ]  # fmt: skip
    listed = {cell.value for column in book["下拉选项"].iter_cols() for cell in column if cell.value}
    assert {"五马街道", "七都街道", "已备案", "已开业", "幼儿园托班", "是", "否"} <= listed
    assert "状元街道" not in listed  # 龙湾's street: not the bureau's county
    examples = {r[0]: r[2] for r in book["填写说明"].iter_rows(min_row=2, values_only=True) if r and r[0]}
    assert examples["所在街道（镇）"] == "五马街道"  # the first of the bureau's own streets
    assert examples["目前状态"] == "已开业"


def test_the_example_names_no_real_county():
    """The template's example row and notes are the same for every county (the street aside)."""
    registry = pathlib.Path(__file__).resolve().parents[2] / "registry"
    for module in ("onboarding.py", "forms/institutions.py"):
        source = (registry / module).read_text()
        assert "鹿城" not in source and "330302" not in source, module


def test_a_valid_file_records_each_institution_with_its_filing(bureau, health_user):
    rows = [
        row(1, status="已备案", operating_since=None),
        row(2),
        row(3, street="330302023", kind="幼儿园托班", ownership="公办", for_profit="否", registration_authority=""),
    ]

    response = bureau.post(IMPORT, {"file": workbook(rows)}, follow=True)

    assert response.redirect_chain == [(ADMIN, 302)]
    page = response.content.decode()
    assert "已录入3家机构：已备案1家，已开业2家。" in page  # the summary
    first, second, third = (Institution.objects.get(credit_code=make_credit_code(70_000 + n)) for n in (1, 2, 3))
    assert (first.status, first.filed_on, first.operating_since) == (InstitutionStatus.FILED, D(2021, 6, 15), None)
    assert (second.status, second.operating_since) == (InstitutionStatus.OPERATING, D(2021, 7, 1))
    assert (third.street.code, third.kind, third.ownership, third.for_profit) == (
        "330302023",
        "nursery_class",
        "public",
        False,
    )
    assert (second.registered_on, second.approved_places, second.inclusive) == (D(2021, 3, 1), 40, False)
    assert {i.created_by for i in (first, second, third)} == {health_user}
    steps = InstitutionTransition.objects.filter(institution=second).order_by("id")
    assert [(s.name, s.effective_on, s.document_reference, s.actor) for s in steps] == [
        (InstitutionStep.MARK_FILED, D(2021, 6, 15), "鹿卫托备〔2021〕2号", health_user),
        (InstitutionStep.MARK_OPERATING, D(2021, 7, 1), "鹿卫托备〔2021〕2号", health_user),
    ]
    assert all(s.comment for s in steps)
    assert first.transitions.get().name == InstitutionStep.MARK_FILED
    # The history names the bureau: registered, then each step.
    assert [h.history_user for h in second.history.all()] == [health_user] * 3
    assert ImportJob.objects.get().status == ImportJobStatus.IMPORTED


def test_every_bad_cell_is_reported_in_chinese_and_nothing_is_recorded(bureau, longwan):
    today = timezone.localdate()
    bad_code = make_credit_code(70_002)[:-1] + ("A" if make_credit_code(70_002)[-1] != "A" else "B")
    rows = [
        row(1),
        row(2, credit_code=bad_code, street=ZHUANGYUAN),  # a typo in the code; a street of 龙湾
        row(3, street="状元街道", filed_on=D(2021, 2, 1)),  # 龙湾's street by name; filed before registered
        row(4, filed_on=today + datetime.timedelta(days=3), status="已备案", operating_since=None),
        row(5, document_reference="", operating_since=D(2021, 6, 1)),  # no reference; operating before filing
        row(6, status="已开业", operating_since=None),
        row(7, status="已备案"),  # filed only, yet an opening date
        row(8, credit_code=make_credit_code(70_001)),  # the same institution as row 2 of the sheet
    ]

    response = bureau.post(IMPORT, {"file": workbook(rows)})

    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="import-errors"' in page
    job = ImportJob.objects.get()
    assert job.status == ImportJobStatus.REJECTED
    assert sorted((e["row"], e["column"]) for e in job.report["errors"]) == [
        (3, "所在街道（镇）"),
        (3, "统一社会信用代码"),
        (4, "备案日期"),
        (4, "所在街道（镇）"),
        (5, "备案日期"),
        (6, "备案文号/回执编号"),
        (6, "开业日期"),
        (7, "开业日期"),
        (8, "开业日期"),
        (9, "统一社会信用代码"),
    ]
    lines = ImportReport(job).errors
    assert "第3行，统一社会信用代码：统一社会信用代码的校验码不符，请检查是否输入有误。" in lines
    assert "第3行，所在街道（镇）：该街道（镇）不在本县（区）范围内。" in lines
    assert "第4行，所在街道（镇）：该街道（镇）不在本县（区）范围内。" in lines
    assert "第6行，备案文号/回执编号：此项为必填项。" in lines
    assert "第9行，统一社会信用代码：与第2行是同一条记录，请只填写一次。" in lines
    for line in lines:
        assert line in page or line.split("：", 1)[1] in page  # the page's table shows each message
    assert not Institution.objects.filter(name__startswith="纸质备案托育园").exists()
    assert not InstitutionTransition.objects.exists()


def test_a_credit_code_already_recorded_is_refused(bureau):
    recorded = InstitutionFactory(credit_code=make_credit_code(70_050), name="已在平台的托育园")

    response = bureau.post(IMPORT, {"file": workbook([row(1), row(2, credit_code=recorded.credit_code)])})

    assert response.status_code == 200
    (entry,) = ImportJob.objects.get().report["errors"]
    assert (entry["row"], entry["column"]) == (3, "统一社会信用代码")
    assert "已有使用该统一社会信用代码的机构" in entry["message"]
    assert entry["message"] in response.content.decode()
    assert Institution.objects.count() == 1
    recorded.refresh_from_db()
    assert recorded.name == "已在平台的托育园"


@pytest.mark.parametrize(
    "make_user",
    [
        lambda: UserFactory(username="market", role=Role.REGISTRATION_AUTHORITY, authority=Authority.MARKET_REGULATION),
        lambda: UserFactory(username="wuma", role=Role.STREET_OFFICE, street=street("330302006")),
        lambda: UserFactory(username="education", role=Role.EDUCATION_BUREAU),
    ],
    ids=["registration authority", "street office", "education bureau"],
)
def test_only_the_health_bureau_may_onboard(make_user, admin_client_for):
    client = admin_client_for(make_user())

    assert f'href="{IMPORT}"' not in client.get(ADMIN).content.decode()
    assert client.get(IMPORT).status_code == 403
    assert client.get(TEMPLATE).status_code == 403
    assert client.post(IMPORT, {"file": workbook([row(1)])}).status_code == 403
    assert not Institution.objects.exists()
    assert not ImportJob.objects.exists()


def test_checking_a_file_reads_its_lookups_once(health_user):
    """Checking a row costs no query: 40 rows cost as many as 5."""

    def queries(count):
        rows = [Row(n + 2, dict(zip([c.field for c in COLUMNS], row(n), strict=True))) for n in range(count)]
        for r in rows:  # as read_rows hands them to the form: the labels are the values
            r.data.update(kind="standalone", ownership="private", for_profit="true", inclusive="false")
            r.data.update(registration_authority="market_regulation", status="operating", approved_places="40")
        with CaptureQueriesContext(connection) as captured:
            cleaned, _lookups, errors = import_rows_check(
                kind=INSTITUTION_ONBOARDING_IMPORT, actor=health_user, rows=rows
            )
        assert errors == [] and len(cleaned) == count
        return len(captured.captured_queries)

    assert queries(40) == queries(5)
