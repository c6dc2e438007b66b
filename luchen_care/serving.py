"""Production serves on the real services only: with ``DJANGO_DEBUG=false``, the processes that
serve (gunicorn through ``wsgi.py``, ``manage.py runserver``, the Celery worker and beat) refuse
to start without ``DATABASE_URL`` and ``REDIS_URL``, instead of falling back to the laptop
default (SQLite in the project folder, tasks run in-process).

Build and check steps (``collectstatic``, ``check --deploy``, ``migrate --plan``...) are not
serving and keep working without them: the check runs at the serving entry points, not in
the settings.
"""

import os

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


def require_services(entry_point: str) -> None:
    """Raise ``ServicesMissing``, naming what is unset, if ``entry_point`` may not serve."""
    missing = missing_services()
    if missing:
        raise ServicesMissing(
            f"{entry_point} refuses to start: DJANGO_DEBUG is false and {' and '.join(missing)} "
            f"{'is' if len(missing) == 1 else 'are'} not set. Production serves on PostgreSQL and Redis "
            "only; it does not fall back to SQLite or to in-process tasks. Set DATABASE_URL=postgres://… "
            "and REDIS_URL=redis://… (see README, Settings), or DJANGO_DEBUG=true on a laptop."
        )
