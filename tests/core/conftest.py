"""Fixtures of the import flow's tests: a real Celery worker that knows the test import kind."""

import os
import subprocess
import sys

import pytest

from tests.exchange.conftest import BASE_DIR, Workers, broker_queue, wait_until, worker_database_url  # noqa: F401


class ImportWorkers(Workers):
    """Workers that also import ``tests.core.import_kinds`` (the kind is registered there, as an app's
    ``ready()`` would), on this test's database, queue and media directory."""

    def start(self, pool="solo", concurrency=1, **env):
        index = len(self.procs)
        log = self.tmp_path / f"import-worker-{index}.log"
        environment = {**os.environ, **self.base_env, **{k: str(v) for k, v in env.items()}}
        command = [
            sys.executable, "-m", "celery", "-A", "luchen_care", "worker", "--include", "tests.core.import_kinds",
            f"--pool={pool}", f"--concurrency={concurrency}", "-Q", self.queue,
            "-n", f"{self.queue}-{index}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat",
            "-l", "INFO",
        ]  # fmt: skip
        handle = log.open("wb")
        proc = subprocess.Popen(
            command, cwd=BASE_DIR, env=environment, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True
        )
        proc.log = log
        self.procs.append(proc)
        wait_until(lambda: b" ready." in log.read_bytes() or proc.poll() is not None, timeout=60, message="worker")
        if proc.poll() is not None:
            pytest.fail(f"worker exited with {proc.returncode}:\n{log.read_text(errors='replace')[-3000:]}")
        return proc


@pytest.fixture
def media(settings, tmp_path):
    """Uploaded files in this test's own directory (the worker is told the same)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def import_workers(transactional_db, broker_queue, media, tmp_path, settings):  # noqa: F811
    base_env = {
        "DATABASE_URL": worker_database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "CELERY_QUEUE": broker_queue,
        "DJANGO_MEDIA_ROOT": str(media),
        "DJANGO_DEBUG": "true",
        "HEALTH_BUREAU_PUSH_URL": "",
        "DINGTALK_WEBHOOK_URL": "",
        "LOG_LEVEL": "INFO",
    }
    pool = ImportWorkers(broker_queue, tmp_path, base_env)
    try:
        yield pool
    finally:
        pool.stop_all()
