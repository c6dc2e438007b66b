"""Production serves on the real services only: with ``DJANGO_DEBUG=false``, the processes that
serve (gunicorn through ``wsgi.py``, ``manage.py runserver``, the Celery worker and beat) refuse
to start without ``DATABASE_URL`` and ``REDIS_URL``, instead of falling back to the laptop
default (SQLite in the project folder, tasks run in-process).

A web server (gunicorn, any WSGI server) also refuses to start before ``collectstatic`` has
written the static files' manifest: without it every page that names a static file would answer
500. The image collects them at build time (``scripts/entrypoint collectstatic``).

Build and check steps (``collectstatic``, ``check --deploy``, ``migrate --plan``...) are not
serving and keep working without them: the check runs at the serving entry points, not in
the settings.
"""

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

REQUIRED = ("DATABASE_URL", "REDIS_URL")


class ServicesMissing(ImproperlyConfigured):
    pass


def missing_services() -> list[str]:
    """The service URLs production lacks; empty with ``DJANGO_DEBUG`` on or everything set."""
    from django.conf import settings  # noqa: PLC0415  (read when serving starts, after .env)

    if settings.DEBUG:
        return []
    # settings read .env into the environment (without overwriting it): look there, not at the defaults.
    return [name for name in REQUIRED if not os.environ.get(name, "").strip()]


def missing_static_manifest() -> Path | None:
    """The static files' manifest a production web server needs, if it has not been collected."""
    from django.conf import settings  # noqa: PLC0415

    if settings.DEBUG or "Manifest" not in settings.STORAGES["staticfiles"]["BACKEND"]:
        return None
    manifest = Path(settings.STATIC_ROOT) / "staticfiles.json"
    return None if manifest.is_file() else manifest


def require_services(entry_point: str, *, web: bool = False) -> None:
    """Raise ``ServicesMissing``, naming what is unset, if ``entry_point`` may not serve (``web``:
    it serves pages, so the static files must have been collected too)."""
    missing = missing_services()
    if missing:
        raise ServicesMissing(
            f"{entry_point} refuses to start: DJANGO_DEBUG is false and {' and '.join(missing)} "
            f"{'is' if len(missing) == 1 else 'are'} not set. Production serves on PostgreSQL and Redis "
            "only; it does not fall back to SQLite or to in-process tasks. Set DATABASE_URL=postgres://… "
            "and REDIS_URL=redis://… (see README, Settings), or DJANGO_DEBUG=true on a laptop."
        )
    manifest = missing_static_manifest() if web else None
    if manifest is not None:
        raise ServicesMissing(
            f"{entry_point} refuses to start: DJANGO_DEBUG is false and the static files have not been "
            f"collected ({manifest} is missing), so every page would answer 500. Run "
            "`scripts/entrypoint collectstatic` (the image does it at build time; DJANGO_STATIC_ROOT names the folder)."
        )
