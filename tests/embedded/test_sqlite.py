"""The embedded SQLite default (``make run``, no DATABASE_URL) under concurrent writes.

The suite runs on PostgreSQL, so this test starts ``sqlite_concurrency.py`` in a subprocess
on a fresh SQLite file, with tasks in-process (REDIS_URL empty), as a laptop runs it.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).with_name("sqlite_concurrency.py")
# Anything that would point the subprocess at the suite's services or at real push endpoints.
_CLEARED = (
    "REDIS_CACHE_URL",
    "CELERY_TASK_ALWAYS_EAGER",
    "CELERY_QUEUE",
    "HEALTH_BUREAU_PUSH_URL",
    "DINGTALK_WEBHOOK_URL",
    "DATABASE_CONN_MAX_AGE",
)


def run_embedded(tmp_path, *args):
    env = {k: v for k, v in os.environ.items() if k not in _CLEARED}
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        REDIS_URL="",
        DJANGO_SETTINGS_MODULE="luchen_care.settings",
    )
    done = subprocess.run(
        [sys.executable, str(SCRIPT), *args],
        env=env,
        cwd=SCRIPT.parents[2],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_eight_identical_registration_posts_at_once_wait_instead_of_failing(tmp_path):
    summary = run_embedded(tmp_path)

    assert summary["errors"] == [], summary
    assert summary["statuses"] == {"200": 7, "201": 1}, summary
    assert summary["registrations"] == 1
    assert summary["institutions"] == 1
    assert summary["deliveries"] == {channel: 1 for channel in summary["channels"]}, summary
    assert summary["journal_mode"] == "wal"
