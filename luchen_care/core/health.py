"""What ``/healthz`` reports: each dependency the platform serves on, checked now.

- ``database``: ``SELECT 1`` on the default database.
- ``redis``: ``PING`` on ``REDIS_URL`` (the Celery broker: registrations are queued there for the
  push); ``not used`` on the embedded default, which runs tasks in-process.

``status`` is ``ok`` when every check passes and ``degraded`` otherwise, the failing ones named.
The page is public (load balancers call it unauthenticated): it says ``error`` and no more, and
the error itself (hosts, ports, messages) goes to the log, with the request id. A check never
waits longer than ``HEALTH_CHECK_TIMEOUT_SECONDS``.
"""

import logging

from django.conf import settings
from django.db import DatabaseError, connection

logger = logging.getLogger(__name__)


def _database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return "ok"
    except DatabaseError as exc:
        connection.close()  # a broken connection is not reused: the next request connects afresh
        logger.error("health check: the database is unavailable: %s: %s", type(exc).__name__, exc)
        return "error"


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
        logger.error("health check: Redis is unavailable: %s: %s", type(exc).__name__, exc)
        return "error"
    finally:
        client.close()


def health_report() -> dict:
    """``{"status": "ok" | "degraded", "failing": [name, …], "checks": {name: "ok" | "not used" | "error"}}``."""
    checks = {"database": _database(), "redis": _redis()}
    degraded = [name for name, result in checks.items() if result == "error"]
    return {"status": "degraded" if degraded else "ok", "failing": degraded, "checks": checks}
