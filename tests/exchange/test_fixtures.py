"""The test fixtures' own rules: the project runs no skipped tests."""

import pytest

from .conftest import require_redis


def test_integration_tests_fail_rather_than_skip_without_redis(settings):
    settings.REDIS_URL = ""
    with pytest.raises(pytest.fail.Exception, match=r"integration tests need Redis: run `make test` or set REDIS_URL"):
        require_redis(settings)
