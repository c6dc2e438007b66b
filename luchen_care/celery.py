"""The Celery application; tasks are discovered in each app's ``tasks.py``."""

import os
import sys

from celery import Celery
from celery.signals import beat_init, celeryd_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "luchen_care.settings")

app = Celery("luchen_care")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@celeryd_init.connect
def _worker_requires_services(**kwargs):
    _require_services("celery worker")


@beat_init.connect
def _beat_requires_services(**kwargs):
    _require_services("celery beat")


def _require_services(entry_point):
    """A worker or beat in production runs on Redis and PostgreSQL, never on memory:// and SQLite."""
    from luchen_care.serving import ServicesMissing, require_services  # noqa: PLC0415  (needs the settings)

    try:
        require_services(entry_point)
    except ServicesMissing as exc:
        # SystemExit, not an exception: Celery logs and swallows a signal handler's exceptions.
        print(exc, file=sys.stderr)
        sys.exit(1)
