"""Production refuses a public address that points at the machine itself (``check --deploy``)."""

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError


def test_production_with_a_local_public_address_fails_the_deploy_check(settings):
    settings.DEBUG = False
    settings.PUBLIC_BASE_URL = "http://localhost:8000"
    with pytest.raises(SystemCheckError, match="documents.E001"):
        call_command("check", "--deploy", "--tag", "documents")


def test_a_public_address_passes(settings):
    settings.DEBUG = False
    settings.PUBLIC_BASE_URL = "https://tuoyu.lucheng.gov.cn"
    call_command("check", "--deploy", "--tag", "documents")  # raises on any error
