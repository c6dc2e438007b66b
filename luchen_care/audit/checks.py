"""The access log's retention is at least the Cybersecurity Law's six months."""

from django.conf import settings
from django.core import checks

LEGAL_MINIMUM_DAYS = 180


@checks.register()
def retention_is_lawful(app_configs=None, **kwargs):
    days = settings.PERSONAL_DATA_ACCESS_RETENTION_DAYS
    if days < LEGAL_MINIMUM_DAYS:
        return [
            checks.Warning(
                f"PERSONAL_DATA_ACCESS_RETENTION_DAYS is {days}: audit records must be kept at least "
                f"{LEGAL_MINIMUM_DAYS} days (网络安全法, six months).",
                id="audit.W001",
            )
        ]
    return []
