"""``manage.py check`` catches a push configuration that cannot work."""

from luchen_care.exchange.checks import push_settings_check


def ids(settings):
    return [problem.id for problem in push_settings_check(None)]


def test_a_push_url_without_a_secret_is_an_error(settings):
    settings.HEALTH_BUREAU_PUSH_URL, settings.HEALTH_BUREAU_PUSH_SECRET = "https://bureau.example/push", ""
    assert "exchange.E001" in ids(settings)
    settings.HEALTH_BUREAU_PUSH_SECRET = "s"
    assert "exchange.E001" not in ids(settings)


def test_retries_longer_than_the_visibility_timeout_are_a_warning(settings):
    settings.REDIS_URL = "redis://127.0.0.1:6379/0"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 600}
    settings.PUSH_RETRY_MAX_SECONDS = 1800
    assert "exchange.W001" in ids(settings)
    settings.PUSH_RETRY_MAX_SECONDS = 300
    assert "exchange.W001" not in ids(settings)


def test_an_sms_gateway_without_a_secret_is_an_error(settings):
    settings.SMS_GATEWAY_URL, settings.SMS_GATEWAY_SECRET = "https://sms.example/send", ""
    assert "exchange.E002" in ids(settings)
    settings.SMS_GATEWAY_SECRET = "s"
    assert "exchange.E002" not in ids(settings)


def test_tls_and_ssl_at_once_is_an_error(settings):
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = True
    assert "exchange.E003" in ids(settings)
    settings.EMAIL_USE_SSL = False
    assert "exchange.E003" not in ids(settings)
