import socket
from urllib.parse import urlsplit

import pytest

from luchen_care.accounts.models import Authority, Role

from .factories import UserFactory, street

PASSWORD = "pw-Lucheng-2026"


def _reachable(host, port, timeout=2.0):
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def pytest_configure(config):
    """The suite runs on PostgreSQL and Redis, as production does: refuse to run quietly on SQLite,
    and stop at once, in one line, when either service is not there (instead of a traceback per test)."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"] != "django.db.backends.postgresql" or not settings.REDIS_URL:
        raise pytest.UsageError(
            "The test suite needs PostgreSQL and Redis: run `make test`, or set DATABASE_URL=postgres://… "
            "and REDIS_URL=redis://… (see README)."
        )
    pg_host, pg_port = database.get("HOST") or "127.0.0.1", int(database.get("PORT") or 5432)
    if not _reachable(pg_host, pg_port):
        raise pytest.UsageError(
            f"PostgreSQL is not reachable at {pg_host}:{pg_port}: start it "
            "(pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start) or set TEST_DATABASE_URL."
        )
    redis = urlsplit(settings.REDIS_URL)
    redis_host, redis_port = redis.hostname or "127.0.0.1", redis.port or 6379
    if not _reachable(redis_host, redis_port):
        raise pytest.UsageError(
            f"Redis is not reachable at {redis_host}:{redis_port}: start it "
            '(redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no) '
            "or set TEST_REDIS_URL."
        )
    # Tests log in often; production's PBKDF2 (a million rounds) costs half a second a user.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def password():
    return PASSWORD


@pytest.fixture
def health_user(db):
    return UserFactory(username="health", role=Role.HEALTH_BUREAU)


@pytest.fixture
def education_user(db):
    return UserFactory(username="education", role=Role.EDUCATION_BUREAU)


@pytest.fixture
def market_user(db):
    return UserFactory(username="market", role=Role.REGISTRATION_AUTHORITY, authority=Authority.MARKET_REGULATION)


@pytest.fixture
def wuma_user(db):
    return UserFactory(username="wuma", role=Role.STREET_OFFICE, street=street("330302006"))


@pytest.fixture
def api_user(db):
    return UserFactory(username="api", role=Role.API_CLIENT, is_staff=False)


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Start every test with an empty cache: API throttle counters live there."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


def pytest_terminal_summary(terminalreporter):
    """The role × URL matrix's figures, at the end of every run that ran it."""
    import sys

    matrix = sys.modules.get("tests.security.test_role_url_matrix")
    if matrix is not None and matrix.FIGURES["roles"]:
        f = matrix.FIGURES
        terminalreporter.write_sep("-", "role × URL matrix")
        terminalreporter.write_line(
            f"{f['urls']} URL patterns, {f['roles']} roles, {f['requests']} requests: "
            f"{f['leaks']} leaks, {f['forbidden_writes']} forbidden writes, {f['server_errors']} server errors"
        )
