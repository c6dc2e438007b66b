"""``/healthz``: what the container health check and a load balancer read."""

import socket

import pytest

pytestmark = pytest.mark.django_db


def _closed_port():
    with socket.socket() as sock:  # bound then closed: nothing listens there
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_healthz_is_ok_with_every_dependency_up(client, settings):
    answer = client.get("/healthz")

    assert answer.status_code == 200 and answer["Cache-Control"] == "no-store"
    body = answer.json()
    assert body["status"] == "ok" and body["failing"] == []
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["redis"] == ("ok" if settings.REDIS_URL else "not used")


def test_healthz_names_redis_when_it_is_down_and_logs_the_error_not_the_page(client, settings, caplog):
    port = _closed_port()
    settings.REDIS_URL = f"redis://127.0.0.1:{port}/0"

    answer = client.get("/healthz")

    assert answer.status_code == 503
    body = answer.json()
    assert body == {"status": "degraded", "failing": ["redis"], "checks": {"database": "ok", "redis": "error"}}
    assert str(port) not in answer.content.decode()  # a public page: no host, port or message
    logged = [r.getMessage() for r in caplog.records if r.name == "luchen_care.core.health"]
    assert len(logged) == 1 and "ConnectionError" in logged[0] and str(port) in logged[0]
