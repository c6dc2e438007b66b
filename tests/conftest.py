import pytest

from luchen_care.accounts.models import Authority, Role

from .factories import UserFactory, street

PASSWORD = "pw-Lucheng-2026"


def pytest_configure(config):
    """The suite runs on PostgreSQL and Redis, as production does: refuse to run quietly on SQLite."""
    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql" or not settings.REDIS_URL:
        raise pytest.UsageError(
            "The test suite needs PostgreSQL and Redis: run `make test`, or set DATABASE_URL=postgres://… "
            "and REDIS_URL=redis://… (see README)."
        )


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
