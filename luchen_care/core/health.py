"""What ``/healthz`` reports: each dependency the platform serves on, checked now.

- ``database``: ``SELECT 1`` on the default database.
- ``redis``: ``PING`` on ``REDIS_URL`` (the Celery broker: registrations are queued there for the
  push); ``not used`` on the embedded default, which runs tasks in-process.

``status`` is ``ok`` when every check passes and ``degraded`` otherwise, the failing ones named
with their error. A check never waits longer than ``HEALTH_CHECK_TIMEOUT_SECONDS``.
"""

from django.conf import settings
from django.db import DatabaseError, connection


def _database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return "ok"
    except DatabaseError as exc:
        connection.close()  # a broken connection is not reused: the next request connects afresh
        return f"error: {type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}"


def _redis() -> str:
    if not settings.REDIS_URL:
        return "not used"
    import redis  # noqa: PLC0415  (installed with celery[redis]; unused on the embedded default)

    timeout = settings.HEALTH_CHECK_TIMEOUT_SECONDS
    client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=timeout, socket_timeout=timeout)
    try:
        client.ping()
        return "ok"
    except redis.RedisError as exc:
        return f"error: {type(exc).__name__}: {exc}"
    finally:
        client.close()


def health_report() -> dict:
    """``{"status": "ok" | "degraded", "checks": {name: "ok" | "not used" | "error: …"}}``."""
    checks = {"database": _database(), "redis": _redis()}
    degraded = [name for name, result in checks.items() if result.startswith("error")]
    return {"status": "degraded" if degraded else "ok", "failing": degraded, "checks": checks}
