"""Fixtures of the import flow's tests: a real Celery worker that knows the test import kind."""

import pytest

from tests.exchange.conftest import Workers, broker_queue, worker_database_url  # noqa: F401


class ImportWorkers(Workers):
    """Workers that also import ``tests.core.import_kinds`` (the kind is registered there, as an app's
    ``ready()`` would), on this test's database, queue and media directory."""

    include = ("tests.core.import_kinds",)


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
