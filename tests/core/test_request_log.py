"""Production's log lines: one JSON object each, carrying the id the answer gives in X-Request-ID."""

import io
import json
import logging
import logging.config

import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db


@pytest.fixture
def json_log():
    """The production console handler (LOG_FORMAT=json), writing to a buffer on the root logger."""
    config = settings.LOGGING
    handler = logging.StreamHandler(io.StringIO())
    formatter_config = dict(config["formatters"]["json"])
    factory = formatter_config.pop("()")
    module, _, name = factory.rpartition(".")
    handler.setFormatter(getattr(__import__(module, fromlist=[name]), name)(**formatter_config))
    handler.addFilter(logging.config.DictConfigurator({}).configure_filter(dict(config["filters"]["request_id"])))
    root = logging.getLogger()
    root.addHandler(handler)
    yield handler.stream
    root.removeHandler(handler)


def test_a_requests_log_lines_carry_the_id_of_its_answer(client, json_log):
    answer = client.get("/no-such-page/")  # django.request logs the 404 as a warning

    request_id = answer["X-Request-ID"]
    lines = [json.loads(line) for line in json_log.getvalue().splitlines()]
    warning = next(line for line in lines if line["logger"] == "django.request")
    assert warning["request_id"] == request_id and len(request_id) == 32
    assert warning["level"] == "WARNING" and "/no-such-page/" in warning["message"] and warning["time"]


def test_the_proxys_request_id_is_kept_and_a_forged_one_replaced(client):
    kept = client.get("/healthz", HTTP_X_REQUEST_ID="edge-7f3a9c21")
    replaced = client.get("/healthz", HTTP_X_REQUEST_ID='x"} {"level": "ERROR')

    assert kept["X-Request-ID"] == "edge-7f3a9c21"
    assert replaced["X-Request-ID"] != 'x"} {"level": "ERROR' and len(replaced["X-Request-ID"]) == 32
