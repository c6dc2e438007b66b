"""The shared Excel import, in a real browser, in Chinese: a registration authority (市场监管局)
imports registrations from the admin.

- It downloads the template, uploads a file with a bad row and reads, in Chinese, which row and
  which column to fix; nothing is recorded.
- It uploads a file large enough for the background: it lands on the job's page, a progress bar
  goes from 0 to 100% while a real Celery worker (on Redis) imports the file, and the page then
  shows the summary; the registrations are recorded on its behalf.
- The job's page is not found by anyone else (a street office).

Each page is photographed at a desktop (1280) and a phone (390) width; set
``BROWSER_SCREENSHOT_DIR`` to keep the pictures.
"""

import datetime
import json
import re
from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from openpyxl import Workbook, load_workbook
from playwright.sync_api import expect

from luchen_care.core.imports.services import import_start
from luchen_care.core.models import ImportJob, ImportJobStatus
from registry.imports import COLUMNS, DATA_SHEET, REGISTRATION_IMPORT
from registry.models import Institution, Registration, RegistrationSource
from tests.browser.conftest import Visit
from tests.core.conftest import broker_queue, import_workers, media  # noqa: F401  (fixtures)
from tests.registry.factories import make_credit_code

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),  # the migrated streets stay
    pytest.mark.usefixtures("media"),  # uploads kept in each test's own directory (the worker's too)
]

ADMIN = "/admin/registry/registration/"
HEADERS = [header for _name, header, _width, _note in COLUMNS]
WIDTHS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
JOB_URL = re.compile(r"/imports/[0-9a-f-]{36}/$")

# Every value the progress bar takes, kept in the tab's sessionStorage: the page reloads itself
# the moment the job has finished, too soon for a look at the bar at 100%. Setting a <progress>'s
# value sets its value attribute, which is what is observed here.
RECORD_BAR = """
document.addEventListener("DOMContentLoaded", () => {
  const bar = document.getElementById("import-bar");
  if (!bar) { return; }
  const keep = () => {
    const seen = JSON.parse(sessionStorage.getItem("import-bar-values") || "[]");
    seen.push(Number(bar.value));
    sessionStorage.setItem("import-bar-values", JSON.stringify(seen));
  };
  keep();
  new MutationObserver(keep).observe(bar, { attributes: true, attributeFilter: ["value"] });
});
"""


def registration_row(n, **overrides):
    """One data row of the template, as a person fills it in (the drop-downs' Chinese labels)."""
    values = {
        "authority": "市场监管局",
        "registration_number": f"JOURNEY-{n:05d}",
        "registered_on": datetime.date(2026, 2, 13),
        "kind": "新设登记",
        "credit_code": make_credit_code(70_000 + n),
        "institution_name": f"鹿城区浏览器导入托育中心{n}号",
        "street_code": "五马街道",
        "address": "温州市鹿城区五马街道解放街1号",
        "legal_representative": "王晓燕",
        "correction_reason": "",
    }
    values.update(overrides)
    return [values[name] for name, *_rest in COLUMNS]


def workbook_bytes(rows):
    wb = Workbook()
    ws = wb.active
    ws.title = DATA_SHEET
    ws.append(HEADERS)
    for values in rows:
        ws.append(values)
    buffer = BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def upload(page, path):
    page.get_by_label("请选择要导入的Excel文件。").set_input_files(str(path))
    page.get_by_role("button", name="导入", exact=True).click()


def shots(visit, name):
    """The page as it is now, at a desktop and a phone width."""
    for label, size in WIDTHS.items():
        visit.page.set_viewport_size(size)
        visit.shot(f"import-{name}-{label}")
    visit.page.set_viewport_size(WIDTHS["desktop"])


def report_rows(page):
    rows = page.locator("#import-report tbody tr")
    return [tuple(rows.nth(i).locator("td").all_inner_texts()) for i in range(rows.count())]


def test_the_template_then_a_file_with_a_bad_row_is_reported_by_row_and_column(visit, market_user, password, tmp_path):
    page = visit.page
    visit.login(market_user.username, password)
    page.get_by_text("全部数据列表").click()  # the workbench folds every list below the to-do entries
    page.get_by_role("link", name="登记记录", exact=True).first.click()
    page.wait_for_url(f"{visit.base}{ADMIN}")
    page.click("#import-xlsx")
    page.wait_for_url(f"{visit.base}{ADMIN}import/")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert page.locator("h1").inner_text() == "从Excel导入登记信息"
    assert "最多 5000 行" in page.locator("#content-main").inner_text()
    expect(page.get_by_role("button", name="导入", exact=True)).to_be_visible()
    shots(visit, "1-upload")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="下载Excel模板").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".xlsx")
    template = tmp_path / download.suggested_filename
    download.save_as(template)
    data_sheet = load_workbook(template)[DATA_SHEET]
    assert [cell.value for cell in data_sheet[1]] == HEADERS
    assert all(cell.value is None for cell in data_sheet[2])  # no example row to import by mistake

    bad = tmp_path / "登记-有误.xlsx"
    bad.write_bytes(
        workbook_bytes(
            [
                registration_row(1),
                registration_row(2, credit_code="91330302MA2ABC", street_code="火星街道"),
                registration_row(3),
            ]
        )
    )
    upload(page, bad)

    errors = page.locator("#import-errors")
    expect(errors).to_contain_text("未导入任何数据：有2处问题需要修改。")
    assert page.url == f"{visit.base}{ADMIN}import/"
    headers = page.locator("#import-report thead th").all_inner_texts()
    assert headers == ["行", "列", "需改正的问题"]
    assert sorted(report_rows(page)) == [
        ("3", "所在街道（镇）", "“火星街道”不是本县（区）街道/镇的统计用区划代码。"),
        ("3", "统一社会信用代码", "统一社会信用代码应为18位，当前为14位。"),
    ]
    expect(page.get_by_label("请选择要导入的Excel文件。")).to_be_attached()  # the user can try again at once
    shots(visit, "2-report")
    assert visit.foreign_requests == []

    # Nothing was recorded, not even the two good rows.
    assert not Registration.objects.exists()
    assert not Institution.objects.filter(name__startswith="鹿城区浏览器导入托育中心").exists()
    job = ImportJob.objects.get()
    assert (job.status, job.created_by, job.background) == (ImportJobStatus.REJECTED, market_user, False)


@pytest.mark.integration
def test_a_large_file_runs_in_the_background_with_a_progress_bar_then_a_summary(
    visit,
    market_user,
    password,
    import_workers,  # noqa: F811
    settings,
    tmp_path,
):
    settings.IMPORT_BACKGROUND_ROWS = 20  # read per upload (services.background_threshold)
    page = visit.page
    visit.context.add_init_script(RECORD_BAR)
    visit.login(market_user.username, password)
    visit.goto(f"{ADMIN}import/")
    large = tmp_path / "登记-批量.xlsx"
    large.write_bytes(workbook_bytes([registration_row(n) for n in range(1, 61)]))
    upload(page, large)

    # The job is queued: no worker is running yet, so the page is seen before any progress.
    page.wait_for_url(JOB_URL)
    job = ImportJob.objects.get()
    assert page.url == f"{visit.base}/imports/{job.pk}/"
    assert (job.created_by, job.background, job.rows_total) == (market_user, True, 60)
    bar = page.get_by_role("progressbar")
    expect(bar).to_be_visible()
    expect(bar).to_have_attribute("value", "0")
    expect(page.locator("#import-status")).to_have_text("排队中")
    expect(page.locator("#import-rows")).to_have_text("0 / 60 行")
    assert page.locator("h1").inner_text() == "导入：登记-批量.xlsx"
    assert "系统先逐行检查，再一次性全部写入" in page.locator("#import-progress").inner_text()
    assert not Registration.objects.exists()
    shots(visit, "3-job-queued")

    import_workers.start()
    done = page.locator("#import-done")
    try:
        expect(done).to_be_visible(timeout=90_000)
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n{import_workers.logs()}") from None
    assert page.url == f"{visit.base}/imports/{job.pk}/"
    expect(page.locator("#import-status")).to_have_text("已导入")
    expect(page.locator("#import-summary")).to_have_text("已导入60条登记，另有0条此前已录入。")
    expect(page.get_by_role("progressbar")).to_have_count(0)
    shots(visit, "4-job-imported")

    values = json.loads(page.evaluate("sessionStorage.getItem('import-bar-values')"))
    assert values[0] == 0 and values[-1] == 100, values  # from empty to full, on the page the user watched
    assert values == sorted(values), values  # never backwards

    job.refresh_from_db()
    assert job.status == ImportJobStatus.IMPORTED
    registrations = Registration.objects.filter(source=RegistrationSource.EXCEL)
    assert registrations.count() == 60
    assert set(registrations.values_list("created_by", flat=True)) == {market_user.pk}
    assert {r.history.get(history_type="+").history_user for r in registrations} == {market_user}
    assert sorted(registrations.values_list("registration_number", flat=True)) == [
        f"JOURNEY-{n:05d}" for n in range(1, 61)
    ]


def test_the_job_page_is_not_found_by_another_user(
    browser, live_server, shot_dir, visit, market_user, wuma_user, password, settings
):
    settings.IMPORT_BACKGROUND_ROWS = 300  # one row: run in this call, finished before anyone opens its page
    upload_file = SimpleUploadedFile("登记-市场监管局.xlsx", workbook_bytes([registration_row(1)]))
    # Started as from the Chinese admin (the job keeps the language it was started in; another
    # test in this process may have left English active).
    with translation.override("zh-hans"):
        job = import_start(kind=REGISTRATION_IMPORT, actor=market_user, upload=upload_file)
    path = f"/imports/{job.pk}/"

    owner = Visit(browser.new_context(locale="zh-CN", viewport=WIDTHS["desktop"]), live_server, shot_dir)
    try:
        owner.login(market_user.username, password)
        assert owner.goto(path).status == 200
        expect(owner.page.locator("#import-summary")).to_have_text("已导入1条登记，另有0条此前已录入。")
    finally:
        owner.context.close()

    page = visit.page
    visit.login(wuma_user.username, password)
    response = visit.goto(path)
    assert response.status == 404
    expect(page.locator("h1")).to_have_text("未找到")
    assert "登记-市场监管局.xlsx" not in page.content()
    assert page.request.get(f"{visit.base}{path}status/").status == 404
    visit.shot("import-5-other-user-not-found")
