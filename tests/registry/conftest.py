"""Fixtures the registry's tests share with the exchange's: the loopback SMS gateway and SMTP server
(the sign-up's code goes out through them)."""

from tests.exchange.conftest import notice_settings, receiver, smtp_server  # noqa: F401  (fixtures)
