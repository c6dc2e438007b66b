"""Run a script of the suite as a laptop runs the platform: on a fresh SQLite file, tasks in-process."""

import json
import os
import subprocess
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]
# Anything that would point the subprocess at the suite's services or at real push endpoints.
_CLEARED = (
    "REDIS_CACHE_URL",
    "CELERY_TASK_ALWAYS_EAGER",
    "CELERY_QUEUE",
    "HEALTH_BUREAU_PUSH_URL",
    "DINGTALK_WEBHOOK_URL",
    "DATABASE_CONN_MAX_AGE",
)


def run_embedded(script, tmp_path, *args, timeout=180, **env):
    """Run ``script`` with ``args`` on ``tmp_path/db.sqlite3`` and no Redis; return the JSON of its
    last line (the script prints what it saw there). ``env`` adds to the environment."""
    environment = {k: v for k, v in os.environ.items() if k not in _CLEARED}
    environment.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        REDIS_URL="",
        DJANGO_SETTINGS_MODULE="luchen_care.settings",
        **env,
    )
    done = subprocess.run(
        [sys.executable, str(script), *args],
        env=environment,
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])
