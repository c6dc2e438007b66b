"""The shared import on the embedded default (``make run``: SQLite, Celery tasks in-process): a file
above the background threshold runs as a job at the upload's commit, so the job's page the user
is sent to already shows it imported. Runs in a subprocess, as a laptop runs it."""

from pathlib import Path

from tests.embedded.runner import run_embedded

SCRIPT = Path(__file__).with_name("embedded_import.py")


def test_a_large_file_is_imported_in_process_on_sqlite(tmp_path):
    seen = run_embedded(SCRIPT, tmp_path, "350", timeout=300, DJANGO_MEDIA_ROOT=str(tmp_path / "media"))

    assert seen["engine"] == "django.db.backends.sqlite3" and seen["eager"] is True
    assert seen["background"] is True  # above IMPORT_BACKGROUND_ROWS: a job, run at the commit
    assert (seen["status_code"], seen["location"]) == (302, f"/imports/{seen['job']}/")
    assert seen["status"]["status"] == "imported" and seen["status"]["rows_done"] == 350
    assert seen["registrations"] == 350
