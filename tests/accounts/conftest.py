"""Fixtures of the institution-account tests: a loopback SMTP server that receives the links."""

import re

import pytest

from tests.exchange.conftest import smtp_server  # noqa: F401  (a real SMTP server on loopback)

LINK = re.compile(r"https?://[^\s]+#([A-Za-z0-9_\-]+)")


@pytest.fixture
def mail_settings(settings, smtp_server):  # noqa: F811
    """E-mail goes to the loopback SMTP server; SMS stays off."""
    settings.EMAIL_HOST = smtp_server.host
    settings.EMAIL_PORT = smtp_server.port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5.0
    settings.DEFAULT_FROM_EMAIL = "鹿城托育 <notice@lucheng.example>"
    return smtp_server


def mailed_tokens(server):
    """The link tokens in every message the SMTP server received, in order."""
    tokens = []
    for mail in server.received():
        tokens += LINK.findall(mail.message().get_content())
    return tokens
