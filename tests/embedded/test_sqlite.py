"""The embedded SQLite default (``make run``, no DATABASE_URL) under concurrent writes.

The suite runs on PostgreSQL, so this test starts ``sqlite_concurrency.py`` in a subprocess
on a fresh SQLite file, with tasks in-process (REDIS_URL empty), as a laptop runs it.
"""

from pathlib import Path

from .runner import run_embedded as run

SCRIPT = Path(__file__).with_name("sqlite_concurrency.py")


def run_embedded(tmp_path, *args):
    return run(SCRIPT, tmp_path, *args)


def test_eight_identical_registration_posts_at_once_wait_instead_of_failing(tmp_path):
    summary = run_embedded(tmp_path)

    assert summary["errors"] == [], summary
    assert summary["statuses"] == {"200": 7, "201": 1}, summary
    assert summary["registrations"] == 1
    assert summary["institutions"] == 1
    assert summary["deliveries"] == {channel: 1 for channel in summary["channels"]}, summary
    assert summary["journal_mode"] == "wal"
