"""The shared import flow (``luchen_care.core.imports``), with a kind of the project package
(working-day overrides, ``tests/core/import_kinds.py``): the template, every row checked and every
bad row and column reported, all or nothing, a file refused outright, the job visible to its owner
only, a large file as a Celery job on a real worker, and the same flow in-process."""

import datetime
from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from openpyxl import Workbook, load_workbook

from luchen_care.accounts.models import Role
from luchen_care.core.imports.services import import_start
from luchen_care.core.imports.workbook import FileRefused, template_workbook
from luchen_care.core.models import ImportJob, ImportJobStatus
from luchen_care.workdays.models import WorkdayOverride
from tests.accounts.factories import UserFactory
from tests.exchange.conftest import wait_until

from .import_kinds import KIND

D = datetime.date
HEADER = ["日期", "上班或放假", "原因"]


def xlsx(rows, header=HEADER, sheet="调整数据", name="overrides.xlsx"):
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    ws.append(header)
    for row in rows:
        ws.append(row)
    buffer = BytesIO()
    wb.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="application/octet-stream")


FIRST_DAY = D(2031, 1, 1)


def rows_of(n, start=FIRST_DAY):
    return [[start + datetime.timedelta(days=i), "放假", f"台风停工{i}"] for i in range(n)]


@pytest.fixture
def owner(db):
    return UserFactory(username="importer", role=Role.HEALTH_BUREAU)


# --- the template -------------------------------------------------------------------------------


def test_template_has_headers_lists_formats_and_an_example_on_the_notes_sheet():
    wb = load_workbook(BytesIO(template_workbook(KIND)))
    ws = wb["调整数据"]
    assert [c.value for c in ws[1]] == HEADER
    assert all(c.value is None for c in ws[2])  # nothing to import by mistake
    validations = {str(dv.sqref): dv for dv in ws.data_validations.dataValidation}
    assert validations["B2:B501"].formula1 == "'下拉选项'!$A$1:$A$2"
    assert validations["A2:A501"].type == "date"
    assert [c.value for c in wb["下拉选项"]["A"]] == ["上班", "放假"]
    assert wb["下拉选项"].sheet_state == "hidden"
    assert ws["A2"].number_format == "yyyy-mm-dd" and ws["C2"].number_format == "@"
    notes = [[c.value for c in row] for row in wb["填写说明"].iter_rows()]
    assert ["上班或放假", "从下拉列表选择", "放假"] in notes
    assert any("最多 50 行" in (row[1] or "") for row in notes)


# --- the synchronous path: a small file in the request ------------------------------------------------


def test_a_valid_file_is_recorded_through_the_kind_and_attributed(owner, media):
    job = import_start(kind=KIND, actor=owner, upload=xlsx(rows_of(3)))

    job.refresh_from_db()
    assert (job.status, job.background, job.rows_total, job.rows_done) == (ImportJobStatus.IMPORTED, False, 3, 3)
    assert job.report == {"created": 3, "errors": [], "message": "导入 3 条"}
    assert job.created_by == owner and job.filename == "overrides.xlsx"
    assert job.file.read().startswith(b"PK")  # the file it was made from is kept
    overrides = WorkdayOverride.objects.order_by("date")
    assert [o.date for o in overrides] == [D(2031, 1, 1), D(2031, 1, 2), D(2031, 1, 3)]
    assert {o.created_by for o in overrides} == {owner}
    assert {o.history.get().history_user for o in overrides} == {owner}


def test_every_bad_row_and_column_is_reported_and_nothing_is_applied(owner, media):
    WorkdayOverride.objects.create(date=D(2031, 5, 1), is_working_day=False, reason="劳动节")
    rows = [
        [D(2031, 1, 1), "放假", "台风"],  # row 2: fine
        ["2031-13-45", "放假", "台风"],  # row 3: not a date
        [D(2031, 1, 3), "周末", ""],  # row 4: two bad cells
        [D(2031, 1, 1), "上班", "补班"],  # row 5: the same day as row 2
        [D(2031, 5, 1), "放假", "劳动节"],  # row 6: already overridden
    ]
    with translation.override("en"):
        job = import_start(kind=KIND, actor=owner, upload=xlsx(rows))

    job.refresh_from_db()
    assert job.status == ImportJobStatus.REJECTED
    found = sorted((e["row"], e["column"], e["field"]) for e in job.report["errors"])
    assert found == [
        (3, "日期", "date"),
        (4, "上班或放假", "working"),
        (4, "原因", "reason"),
        (5, "日期", "date"),
        (6, "日期", "date"),
    ]
    same = next(e for e in job.report["errors"] if e["row"] == 5)
    assert same["message"] == "the same record as row 2; list it once."  # the language the job was started in
    assert WorkdayOverride.objects.count() == 1  # only the one that was there


def test_a_row_refused_while_recording_rolls_the_whole_file_back(owner, media):
    rows = [*rows_of(3), [D(2031, 2, 1), "放假", "refuse-on-apply"]]
    job = import_start(kind=KIND, actor=owner, upload=xlsx(rows))

    job.refresh_from_db()
    assert job.status == ImportJobStatus.REJECTED
    assert [(e["row"], e["field"], e["column"], e["message"]) for e in job.report["errors"]] == [
        (5, "reason", "原因", "记录时被拒绝。")
    ]
    assert not WorkdayOverride.objects.exists()
    assert not WorkdayOverride.history.exists()


@pytest.mark.parametrize(
    "upload, message",
    [
        (SimpleUploadedFile("x.xlsx", b"not a spreadsheet"), "This is not an Excel (.xlsx) file"),
        (SimpleUploadedFile("x.xlsx", b""), "The file is empty"),
        (xlsx(rows_of(2), header=["日期", "原因"]), "the column “上班或放假” is missing"),
        (xlsx([]), "The file has no rows to import"),
        (xlsx(rows_of(51)), "The file has more than 50 rows"),
    ],
    ids=["not-xlsx", "empty-file", "wrong-header", "no-rows", "too-many-rows"],
)
def test_a_file_that_cannot_be_imported_is_refused_and_changes_nothing(owner, media, upload, message):
    with translation.override("en"), pytest.raises(FileRefused) as refused:
        import_start(kind=KIND, actor=owner, upload=upload)
    assert any(message in m for m in refused.value.messages), refused.value.messages
    assert not ImportJob.objects.exists() and not WorkdayOverride.objects.exists()


def test_the_refusal_is_in_chinese_by_default(owner, media):
    with pytest.raises(FileRefused) as refused:
        import_start(kind=KIND, actor=owner, upload=SimpleUploadedFile("x.xlsx", b"junk"))
    assert "Excel" in refused.value.messages[0] and "模板" in refused.value.messages[0]


# --- the job's page and its JSON: its owner only ------------------------------------------------------


def test_a_job_is_visible_to_its_owner_and_superusers_only(client, owner, media):
    job = import_start(kind=KIND, actor=owner, upload=xlsx(rows_of(2)))
    page, status = f"/imports/{job.pk}/", f"/imports/{job.pk}/status/"

    client.force_login(owner)
    shown = client.get(page)
    assert shown.status_code == 200
    assert "导入 2 条" in shown.content.decode()
    assert client.get(status).json() == {
        "status": "imported",
        "status_label": "已导入",
        "finished": True,
        "rows_total": 2,
        "rows_done": 2,
        "percent": 100,
        "errors": 0,
    }

    client.force_login(UserFactory(username="colleague", role=Role.HEALTH_BUREAU))  # same role, not the owner
    assert client.get(page).status_code == 404
    assert client.get(status).status_code == 404
    assert "overrides.xlsx" not in client.get(page).content.decode()

    client.force_login(UserFactory(username="root", is_superuser=True, role=""))
    assert client.get(page).status_code == 200

    client.logout()
    assert client.get(page).status_code == 302
    assert client.get(status).status_code == 401
    assert client.get(f"/imports/{'0' * 8}-0000-0000-0000-{'0' * 12}/").status_code == 302


def test_the_page_of_a_rejected_job_lists_each_row_and_column(client, owner, media):
    job = import_start(kind=KIND, actor=owner, upload=xlsx([[D(2031, 1, 1), "周末", "台风"]]))
    client.force_login(owner)
    html = client.get(f"/imports/{job.pk}/").content.decode()
    assert 'id="import-report"' in html
    assert 'data-row="2" data-field="working"' in html and "上班或放假" in html


# --- a large file: a Celery job --------------------------------------------------------------------


@pytest.mark.integration
@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # the migrated streets stay for later tests
def test_a_large_file_runs_on_a_real_worker_with_progress(client, import_workers, settings):
    settings.IMPORT_BACKGROUND_ROWS = 10
    import_workers.start()
    owner = UserFactory(username="importer", role=Role.HEALTH_BUREAU)

    job = import_start(kind=KIND, actor=owner, upload=xlsx(rows_of(40)))
    assert job.background is True
    assert ImportJob.objects.get(pk=job.pk).status == ImportJobStatus.QUEUED  # returned before the work
    assert not WorkdayOverride.objects.exists()

    client.force_login(owner)
    page = client.get(f"/imports/{job.pk}/").content.decode()
    seen = wait_until(
        lambda: (data := client.get(f"/imports/{job.pk}/status/").json())["finished"] and data,
        timeout=60,
        message=f"the import job to finish\n{import_workers.logs()}",
    )
    assert 'id="import-bar"' in page and "core/imports/progress.js" in page
    assert (seen["status"], seen["rows_done"], seen["rows_total"], seen["percent"]) == ("imported", 40, 40, 100)
    assert WorkdayOverride.objects.count() == 40
    assert set(WorkdayOverride.objects.values_list("created_by", flat=True)) == {owner.pk}
    assert "导入 40 条" in client.get(f"/imports/{job.pk}/").content.decode()


@pytest.mark.integration
@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # the migrated streets stay for later tests
def test_a_large_file_with_bad_rows_is_reported_by_the_worker_and_changes_nothing(client, import_workers, settings):
    settings.IMPORT_BACKGROUND_ROWS = 10
    import_workers.start()
    owner = UserFactory(username="importer", role=Role.HEALTH_BUREAU)
    rows = rows_of(30)
    rows[20][1] = "周末"

    job = import_start(kind=KIND, actor=owner, upload=xlsx(rows))
    wait_until(lambda: ImportJob.objects.get(pk=job.pk).finished, timeout=60, message=import_workers.logs())

    job.refresh_from_db()
    assert job.status == ImportJobStatus.REJECTED
    assert [(e["row"], e["column"]) for e in job.report["errors"]] == [(22, "上班或放假")]
    assert not WorkdayOverride.objects.exists()


def test_with_tasks_in_process_a_large_file_is_done_when_the_upload_returns(
    owner, media, settings, django_capture_on_commit_callbacks
):
    """The embedded default (CELERY_TASK_ALWAYS_EAGER): the job runs at the upload's commit."""
    from luchen_care.celery import app

    settings.IMPORT_BACKGROUND_ROWS = 10
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        with django_capture_on_commit_callbacks(execute=True):
            job = import_start(kind=KIND, actor=owner, upload=xlsx(rows_of(20)))
    finally:
        app.conf.task_always_eager = eager
    job.refresh_from_db()
    assert (job.background, job.status, job.rows_done) == (True, ImportJobStatus.IMPORTED, 20)
    assert WorkdayOverride.objects.count() == 20
