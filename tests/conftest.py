import os
import socket
from urllib.parse import urlsplit, urlunsplit

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
    # Each xdist worker has a database of its own (pytest-django) and a cache database of its own:
    # a cache clear in one worker (every test starts with one) must not empty another's throttle counters.
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if worker.startswith("gw") and worker != "gw0" and settings.REDIS_CACHE_URL:
        # Away from the broker's database: the cache sits next to it, the workers' caches beyond.
        parts = urlsplit(settings.REDIS_CACHE_URL)
        cache_db = int(parts.path.strip("/") or 0)
        broker_db = int(urlsplit(settings.REDIS_URL).path.strip("/") or 0)
        db = cache_db + (1 if cache_db > broker_db else -1) * int(worker[2:])
        settings.CACHES["default"]["LOCATION"] = urlunsplit(parts._replace(path=f"/{db}"))
    # The suite's deployment is Lucheng's: migrate loads its 14 streets (as LUCHEN_CARE_COUNTIES=330302
    # does in production), and serialized_rollback keeps them for the tests after a transactional one.
    if not settings.REGION_COUNTIES:
        settings.REGION_COUNTIES = ["330302"]
    # Tests log in often; production's PBKDF2 (a million rounds) costs half a second a user.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # The second factor is off for the suite, whatever DJANGO_DEBUG says (CI runs it with false),
    # so that each test signs in the same way everywhere. It is on where it is the subject: the
    # two-factor tests, the role × URL net and the browser journeys, which sign in with real codes
    # (``tests.otp``).
    settings.REQUIRE_2FA = False


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


@pytest.fixture
def admin_client_for(client):
    """``admin_client_for(user)``: the test client, logged in as ``user``."""

    def login(user):
        client.force_login(user)
        return client

    return login


@pytest.fixture(autouse=True)
def _default_language():
    """Start every test in the platform's language (Chinese). A request through the test client leaves
    the language it asked for active in the thread (the middleware activates it and nothing resets it),
    so a test after an English request would otherwise see English wherever it does not set one."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Start every test with an empty cache: API throttle counters live there."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


def pytest_terminal_summary(terminalreporter):
    """The role × URL matrix's figures, at the end of every run that ran it (xdist workers included)."""
    rows = [
        value
        for outcome in ("passed", "failed")
        for report in terminalreporter.stats.get(outcome, [])
        if report.when == "call"
        for name, value in getattr(report, "user_properties", [])
        if name == "role_url_matrix"
    ]
    if rows:
        total = {key: sum(row[key] for row in rows) for key in ("requests", "leaks", "forbidden_writes")}
        total["server_errors"] = sum(row["server_errors"] for row in rows)
        terminalreporter.write_sep("-", "role × URL matrix")
        terminalreporter.write_line(
            f"{max(row['urls'] for row in rows)} URL patterns, {len(rows)} roles, {total['requests']} requests: "
            f"{total['leaks']} leaks, {total['forbidden_writes']} forbidden writes, "
            f"{total['server_errors']} server errors"
        )
