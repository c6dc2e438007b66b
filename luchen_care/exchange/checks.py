"""Configuration mistakes of the push pipeline, reported by ``manage.py check``."""

from django.conf import settings
from django.core import checks


@checks.register("exchange")
def push_settings_check(app_configs, **kwargs):
    problems = []
    if settings.HEALTH_BUREAU_PUSH_URL and not settings.HEALTH_BUREAU_PUSH_SECRET:
        problems.append(
            checks.Error(
                "HEALTH_BUREAU_PUSH_URL is set but HEALTH_BUREAU_PUSH_SECRET is empty: pushes would fail unsigned.",
                hint="Set HEALTH_BUREAU_PUSH_SECRET to the secret agreed with the health bureau.",
                id="exchange.E001",
            )
        )
    if settings.SMS_GATEWAY_URL and not settings.SMS_GATEWAY_SECRET:
        problems.append(
            checks.Error(
                "SMS_GATEWAY_URL is set but SMS_GATEWAY_SECRET is empty: SMS notices would be refused unsigned.",
                hint="Set SMS_GATEWAY_SECRET (and SMS_GATEWAY_KEY, SMS_SIGN_NAME) to the gateway's credentials.",
                id="exchange.E002",
            )
        )
    if settings.EMAIL_USE_TLS and settings.EMAIL_USE_SSL:
        problems.append(
            checks.Error(
                "EMAIL_USE_TLS and EMAIL_USE_SSL are both on: choose one (STARTTLS on 587, or SSL on 465).",
                id="exchange.E003",
            )
        )
    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("visibility_timeout", 3600)
    if settings.REDIS_URL and settings.PUSH_RETRY_MAX_SECONDS >= visibility:
        problems.append(
            checks.Warning(
                f"PUSH_RETRY_MAX_SECONDS ({settings.PUSH_RETRY_MAX_SECONDS:g}) is not below the broker's "
                f"visibility timeout ({visibility}): Redis would hand out waiting retries a second time.",
                hint="Lower PUSH_RETRY_MAX_SECONDS or raise CELERY_VISIBILITY_TIMEOUT (docs/push.md).",
                id="exchange.W001",
            )
        )
    return problems
