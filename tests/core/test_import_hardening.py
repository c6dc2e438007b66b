"""The shared import against hostile or damaged files and a broken queue: a tiny file that declares
a huge sheet is answered without reading it all, a file too large or unpacking to too much is
refused, a damaged sheet is refused (never a 500), a file without the data sheet says so, a job
whose message cannot be sent fails at once (never stuck ``queued``), and the job's JSON status
answers its 404 as JSON."""

import io
import json
import os
import re
import socket
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from openpyxl.worksheet import _read_only

from luchen_care.accounts.models import Authority, Role
from luchen_care.core.imports import workbook
from luchen_care.core.imports.services import import_start
from luchen_care.core.imports.workbook import FileRefused
from luchen_care.core.models import ImportJob, ImportJobStatus
from luchen_care.workdays.models import WorkdayOverride
from registry.models import Registration
from tests.accounts.factories import UserFactory
from tests.exchange.conftest import worker_database_url
from tests.registry.factories import make_credit_code, registration_workbook

from .import_kinds import KIND
from .test_imports import rows_of, xlsx

NOT_THE_TEMPLATE = "该文件不是按模板制作的Excel（.xlsx）文件，请下载模板填写后再上传。"
SHEET = "xl/worksheets/sheet1.xml"
UPLOAD = "/admin/registry/registration/import/"


def rezipped(upload, edit, *, extra=None):
    """``upload`` (an .xlsx) with its data sheet's XML passed through ``edit``; ``extra`` adds members."""
    source = zipfile.ZipFile(io.BytesIO(upload.read()))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == SHEET:
                data = edit(data.decode()).encode()
            target.writestr(info.filename, data)
        for name, data in (extra or {}).items():
            target.writestr(name, data)
    upload.file = io.BytesIO(buffer.getvalue())
    upload.size = len(buffer.getvalue())
    return upload


def huge_dimension(xml):
    xml = re.sub(r'<dimension ref="[^"]*"/>', '<dimension ref="A1:XFD1048576"/>', xml)
    cell = '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'
    return xml.replace("</sheetData>", cell + "</sheetData>")


# --- 1. a tiny file that declares a huge sheet ---------------------------------------------------


def test_a_tiny_file_declaring_the_largest_sheet_is_read_in_bounded_rows(health_user, media, monkeypatch):
    upload = rezipped(xlsx(rows_of(1)), huge_dimension)
    assert upload.size < 10_000
    read = []
    cells_by_row = _read_only.ReadOnlyWorksheet._cells_by_row

    def counted(self, *args, **kwargs):
        for values in cells_by_row(self, *args, **kwargs):
            read.append(len(values))
            yield values

    monkeypatch.setattr(_read_only.ReadOnlyWorksheet, "_cells_by_row", counted)

    job = import_start(kind=KIND, actor=health_user, upload=upload)

    job.refresh_from_db()
    assert (job.status, job.rows_total) == (ImportJobStatus.IMPORTED, 1), job.report
    assert WorkdayOverride.objects.count() == 1  # the stray cell far away is not a record
    assert len(read) <= 2 + workbook.EMPTY_ROWS_END  # the header, one row, the run of empty rows
    assert max(read[1:]) == 3  # rows are read over the header's three columns, not 16,384


def test_the_data_ends_after_a_long_run_of_empty_rows(health_user, media):
    far = workbook.EMPTY_ROWS_END + 10
    rows = [*rows_of(2), *([[None, None, None]] * far), *rows_of(1, start=rows_of(3)[2][0])]
    job = import_start(kind=KIND, actor=health_user, upload=xlsx(rows))
    job.refresh_from_db()
    assert (job.status, job.rows_total) == (ImportJobStatus.IMPORTED, 2)


def test_more_rows_than_allowed_are_refused(health_user, media):
    with pytest.raises(FileRefused) as refused:
        import_start(kind=KIND, actor=health_user, upload=xlsx(rows_of(400)))
    assert refused.value.messages == ["文件超过50行，请拆分为每个不超过50行的文件后分批导入。"]
    assert not ImportJob.objects.exists() and not WorkdayOverride.objects.exists()


def test_an_upload_larger_than_the_setting_is_refused_in_chinese(health_user, media, settings):
    settings.IMPORT_MAX_UPLOAD_BYTES = 2 * 1024 * 1024
    upload = rezipped(xlsx(rows_of(2)), lambda xml: xml, extra={"xl/media/photo.bin": os.urandom(3 * 1024 * 1024)})
    with pytest.raises(FileRefused) as refused:
        import_start(kind=KIND, actor=health_user, upload=upload)
    assert refused.value.messages == ["文件大于 2 MB，填好的模板远小于此，请检查文件或拆分后上传。"]
    assert not ImportJob.objects.exists() and not WorkdayOverride.objects.exists()


def test_a_zip_that_unpacks_to_too_much_is_refused_before_it_is_parsed(health_user, media):
    zeros = b"\0" * (workbook.MAX_UNPACKED_BYTES + 1)
    upload = rezipped(xlsx(rows_of(2)), lambda xml: xml, extra={"xl/media/zeros.bin": zeros})
    assert upload.size < 1024 * 1024
    with pytest.raises(FileRefused) as refused:
        import_start(kind=KIND, actor=health_user, upload=upload)
    assert refused.value.messages == ["该文件解压后的数据量远超填好的模板，请下载模板填写后再上传。"]
    assert not ImportJob.objects.exists() and not WorkdayOverride.objects.exists()


def test_the_huge_sheet_through_the_admin_upload_is_answered_and_saves_nothing_extra(client, market_user, media):
    upload = rezipped(registration_workbook([]), huge_dimension)
    client.force_login(market_user)
    response = client.post(UPLOAD, {"file": upload})
    assert response.status_code == 200
    assert "文件中没有可导入的数据行：请在“登记数据”工作表中填写。" in response.content.decode()
    assert not ImportJob.objects.exists() and not Registration.objects.exists()


# --- 2. a damaged sheet: refused, never a 500 ---------------------------------------------------------


def _third_row(cell):
    return lambda xml: xml.replace("</sheetData>", f'<row r="3">{cell}</row></sheetData>')


DAMAGED = {
    "text-in-a-number": _third_row('<c r="A3" t="n"><v>abc</v></c>'),
    "nul-character": _third_row('<c r="A3" t="inlineStr"><is><t>a&#0;b</t></is></c>'),
    "truncated-xml": lambda xml: xml[: xml.index("</sheetData>") - 7],
}


@pytest.mark.parametrize("edit", DAMAGED.values(), ids=DAMAGED.keys())
def test_a_damaged_sheet_is_refused_on_the_upload_page_and_saves_nothing(client, market_user, media, edit):
    row = ["市场监管局", "DMG-1", "2026-02-13", "新设登记", make_credit_code(1)]
    upload = rezipped(registration_workbook([row]), edit)
    client.force_login(market_user)
    response = client.post(UPLOAD, {"file": upload})
    assert response.status_code == 200
    assert NOT_THE_TEMPLATE in response.content.decode()
    assert not ImportJob.objects.exists() and not Registration.objects.exists()


# --- 5. no data sheet -----------------------------------------------------------------------------------


def test_a_file_without_the_data_sheet_says_which_sheet_is_missing(health_user, media):
    with pytest.raises(FileRefused) as refused:
        import_start(kind=KIND, actor=health_user, upload=xlsx(rows_of(2), sheet="封面"))
    assert refused.value.messages == ["文件中没有“调整数据”工作表，请使用模板并在该工作表中填写。"]
    assert not ImportJob.objects.exists()


# --- 4. the JSON status answers 404 as JSON ------------------------------------------------------------


def test_the_status_of_a_job_not_yours_is_a_json_404(client, health_user, media):
    job = import_start(kind=KIND, actor=health_user, upload=xlsx(rows_of(1)))
    client.force_login(UserFactory(username="colleague", role=Role.HEALTH_BUREAU))
    for url in (f"/imports/{job.pk}/status/", f"/imports/{'0' * 8}-0000-0000-0000-{'0' * 12}/status/"):
        response = client.get(url)
        assert response.status_code == 404 and response["Content-Type"] == "application/json"
        assert response.json() == {"error": {"code": "not_found", "message": "没有这个导入任务。", "fields": {}}}
    assert "importer" not in response.content.decode() and job.filename not in response.content.decode()


# --- 3. the broker is down ---------------------------------------------------------------------------------


def closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # nothing listens there once the socket is closed


@pytest.mark.integration
@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # the migrated streets stay for later tests
def test_with_the_broker_down_a_large_upload_goes_to_its_page_and_the_job_fails_there(tmp_path):
    UserFactory(username="market", role=Role.REGISTRATION_AUTHORITY, authority=Authority.MARKET_REGULATION)
    broker = f"redis://127.0.0.1:{closed_port()}/0"
    environment = {k: v for k, v in os.environ.items() if k not in ("CELERY_TASK_ALWAYS_EAGER", "CELERY_QUEUE")}
    environment.update(
        DATABASE_URL=worker_database_url(),
        REDIS_URL=broker,
        REDIS_CACHE_URL="",
        DJANGO_MEDIA_ROOT=str(tmp_path / "media"),
        DJANGO_SETTINGS_MODULE="luchen_care.settings",
        HEALTH_BUREAU_PUSH_URL="",
        DINGTALK_WEBHOOK_URL="",
    )
    done = subprocess.run(
        [sys.executable, str(Path(__file__).with_name("broker_down_import.py")), "market", "12"],
        env=environment,
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])

    assert (seen["broker"], seen["eager"], seen["background"]) == (broker, False, True)
    assert (seen["status_code"], seen["location"]) == (302, f"/imports/{seen['job']}/")
    assert (seen["status"]["status"], seen["status"]["finished"]) == ("failed", True)
    assert "导入未能启动，没有导入任何记录，请稍后再试。" in seen["page"]
    job = ImportJob.objects.get(pk=seen["job"])
    assert job.status == ImportJobStatus.FAILED and job.finished_at is not None
    assert seen["registrations"] == 0 and not Registration.objects.exists()
