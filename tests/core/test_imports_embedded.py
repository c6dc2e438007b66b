"""The shared import on the embedded default (``make run``: SQLite, Celery tasks in-process): a file
above the background threshold runs as a job at the upload's commit, so the job's page the user
is sent to already shows it imported. Runs in a subprocess, as a laptop runs it."""

import json
import os
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).with_name("embedded_import.py")
_CLEARED = ("REDIS_CACHE_URL", "CELERY_TASK_ALWAYS_EAGER", "CELERY_QUEUE", "HEALTH_BUREAU_PUSH_URL",
            "DINGTALK_WEBHOOK_URL", "DATABASE_CONN_MAX_AGE")  # fmt: skip


def test_a_large_file_is_imported_in_process_on_sqlite(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in _CLEARED}
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        REDIS_URL="",
        DJANGO_MEDIA_ROOT=str(tmp_path / "media"),
        DJANGO_SETTINGS_MODULE="luchen_care.settings",
    )
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "350"],
        env=env,
        cwd=SCRIPT.parents[2],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])

    assert seen["engine"] == "django.db.backends.sqlite3" and seen["eager"] is True
    assert seen["background"] is True  # above IMPORT_BACKGROUND_ROWS: a job, run at the commit
    assert (seen["status_code"], seen["location"]) == (302, f"/imports/{seen['job']}/")
    assert seen["status"]["status"] == "imported" and seen["status"]["rows_done"] == 350
    assert seen["registrations"] == 350
