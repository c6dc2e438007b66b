"""Fixtures the registry's tests share: uploads in each test's own media folder, and, with the
exchange's tests, the loopback SMS gateway and SMTP server (the sign-up's code goes out through them)."""

import pytest

from tests.exchange.conftest import notice_settings, receiver, smtp_server  # noqa: F401  (fixtures)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    """Uploads (filing materials, documents) land in this test's own media folder, never the project's."""
    settings.MEDIA_ROOT = tmp_path / "media"
