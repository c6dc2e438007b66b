"""A production mistake of the documents, reported by ``manage.py check --deploy``."""

from urllib.parse import urlsplit

from django.conf import settings
from django.core import checks

LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", ""}


@checks.register("documents", deploy=True)
def public_base_url_check(app_configs, **kwargs):
    """Every PDF, invitation and password-reset link prints ``PUBLIC_BASE_URL``: in production it
    must be the platform's public address, not this machine's."""
    host = urlsplit(settings.PUBLIC_BASE_URL).hostname or ""
    if settings.DEBUG or host not in LOCAL_HOSTS:
        return []
    return [
        checks.Error(
            f"PUBLIC_BASE_URL is {settings.PUBLIC_BASE_URL!r}: documents' verification links and QR codes, "
            "invitation and password-reset links would point at this machine.",
            hint="Set PUBLIC_BASE_URL to the platform's public address, e.g. https://tuoyu.lucheng.gov.cn.",
            id="documents.E001",
        )
    ]
