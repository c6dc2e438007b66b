"""Fixtures of the push pipeline tests: a loopback HTTP receiver, real Celery workers, registrations.

The receiver is a real ``http.server`` on 127.0.0.1 that records every request and answers
from a script. Workers are real ``celery worker`` subprocesses on the test database and on a
queue of their own (``CELERY_QUEUE``), so concurrent test runs on one Redis never share work.
"""

import itertools
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection, transaction

from luchen_care.accounts.models import Authority
from tests.factories import InstitutionFactory, make_credit_code

BASE_DIR = Path(__file__).resolve().parent.parent.parent
SECRET = "test-shared-secret-鹿城"
DINGTALK_SECRET = "SECtest0123456789abcdef"
HOLD = "hold"  # a scripted answer: keep the request open until the test releases it

_numbers = itertools.count(1)


def wait_until(predicate, timeout=20.0, interval=0.05, message="condition"):
    """Poll ``predicate`` until it is truthy; fail the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout}s waiting for {message}")
        time.sleep(interval)


# --- The loopback receiver ---------------------------------------------------------------


@dataclass
class Received:
    method: str
    path: str
    query: dict
    raw_query: str
    headers: dict
    body: bytes
    at: float

    def json(self):
        return json.loads(self.body)


@dataclass
class Receiver:
    """Records requests; answers each from the script of its path (FIFO), then with ``default``."""

    server: ThreadingHTTPServer = None
    requests: list = field(default_factory=list)
    scripts: dict = field(default_factory=dict)  # path → answers
    default: tuple = (200, b'{"ok": true}')
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self):
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def answer(self, path, *responses):
        """Answer the next requests to ``path`` with ``responses``: ``(status, body)`` or ``HOLD``."""
        with self.lock:
            self.scripts.setdefault(path, []).extend(responses)

    def received(self, path=None):
        with self.lock:
            return [r for r in self.requests if path is None or r.path == path]

    def wait_for(self, count, path=None, timeout=30.0):
        return wait_until(
            lambda: len(self.received(path)) >= count and self.received(path),
            timeout=timeout,
            message=f"{count} request(s) at the receiver{' on ' + path if path else ''}",
        )


def _handler_for(receiver):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # as any production server does; else 40 ms delayed-ACK stalls

        def log_message(self, *args):  # keep the test output clean
            pass

        def do_POST(self):  # noqa: N802
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            parts = urlsplit(self.path)
            with receiver.lock:
                receiver.requests.append(
                    Received(
                        method="POST",
                        path=parts.path,
                        query={k: v[0] for k, v in parse_qs(parts.query).items()},
                        raw_query=parts.query,
                        headers={k.lower(): v for k, v in self.headers.items()},
                        body=body,
                        at=time.time(),
                    )
                )
                script = receiver.scripts.get(parts.path)
                answer = script.pop(0) if script else receiver.default
            if answer == HOLD:
                receiver.release.wait(timeout=60)
                answer = receiver.default
            status, payload = answer
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except OSError:
                pass  # the client went away (a killed worker)

    return Handler


@pytest.fixture
def receiver():
    recv = Receiver()
    recv.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(recv))
    recv.server.daemon_threads = True
    thread = threading.Thread(target=recv.server.serve_forever, name="receiver", daemon=True)
    thread.start()
    try:
        yield recv
    finally:
        recv.release.set()
        recv.server.shutdown()
        recv.server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def push_settings(settings, receiver):
    """The webhook channel pointed at the receiver, with small retry delays (this process)."""
    settings.HEALTH_BUREAU_PUSH_URL = f"{receiver.url}/exchange/registrations"
    settings.HEALTH_BUREAU_PUSH_SECRET = SECRET
    settings.HEALTH_BUREAU_PUSH_TIMEOUT = 5.0
    settings.DINGTALK_WEBHOOK_URL = ""
    settings.DINGTALK_SECRET = ""
    settings.PUSH_RETRY_BASE_SECONDS = 0.2
    settings.PUSH_RETRY_MAX_SECONDS = 1.0
    settings.PUSH_MAX_ATTEMPTS = 6
    return settings


# --- Registrations -------------------------------------------------------------------------


def registration_fields(**overrides):
    """The JSON fields of ``POST /api/v1/registrations/``."""
    n = next(_numbers) + int(time.time() * 1000) % 100_000 * 100
    fields = {
        "authority": Authority.MARKET_REGULATION,
        "registration_number": f"330302MA{n:010d}",
        "registered_on": date.today().isoformat(),
        "kind": "new",
        "credit_code": make_credit_code(500_000 + n % 400_000_000),
        "institution_name": f"鹿城区测试托育中心{n}号",
        "street_code": "330302006",
        "address": "温州市鹿城区五马街道解放街1号",
        "legal_representative": "王晓燕",
    }
    fields.update(overrides)
    return fields


def make_registration(*, registered_on=None, push_deadline=None, enqueue=True, **extra):
    """A registration written through the model, with its outbox rows when ``enqueue``.

    Its ``data`` (the data as registered) is the institution's, as ``registration_record``
    would have stored it."""
    from registry.models import Registration
    from registry.selectors.policies import push_window_on
    from registry.services.push import registration_push_enqueue

    registered_on = registered_on or date.today()
    number = f"REG-{uuid.uuid4().hex[:12]}"
    with transaction.atomic():
        institution = extra.pop("institution", None) or InstitutionFactory()
        registration = Registration.objects.create(
            institution=institution,
            authority=Authority.MARKET_REGULATION,
            registration_number=number,
            registered_on=registered_on,
            kind="new",
            source="admin",
            push_deadline=push_deadline or registered_on,
            push_rule=extra.pop("push_rule", None) or push_window_on(registered_on),
            data={
                "authority": Authority.MARKET_REGULATION,
                "registration_number": number,
                "registered_on": registered_on.isoformat(),
                "kind": "new",
                "credit_code": institution.credit_code,
                "institution_name": institution.name,
                "street_code": institution.street.code,
                "address": institution.address,
                "legal_representative": institution.legal_representative,
            },
            **extra,
        )
        if enqueue:
            registration_push_enqueue(registration=registration)
    return registration


# --- Real Celery workers -------------------------------------------------------------------


def worker_database_url():
    """The URL of the database this test runs on (pytest-django's ``test_<name>``)."""
    s = connection.settings_dict
    auth = s["USER"] or ""
    if s.get("PASSWORD"):
        auth += f":{s['PASSWORD']}"
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def _forget_routing(app):
    """Drop Celery's cached routing, so the next publish uses the current default queue
    (whose name is also the default exchange and routing key)."""
    for name in ("queues", "default_queue", "router", "send_task_message", "default_exchange"):
        app.amqp.__dict__.pop(name, None)
    app.amqp._rtable = None


def require_redis(settings):
    """Fail, never skip, without Redis: a skipped integration test would hide that nothing was checked."""
    if not settings.REDIS_URL:
        pytest.fail("integration tests need Redis: run `make test` or set REDIS_URL")


@pytest.fixture
def broker_queue(settings):
    """A queue of this test's own; this process publishes to it, the workers consume it."""
    from luchen_care.celery import app

    require_redis(settings)
    name = f"lc-test-{uuid.uuid4().hex[:10]}"
    previous = app.conf.task_default_queue, app.conf.task_always_eager
    app.conf.task_default_queue, app.conf.task_always_eager = name, False
    _forget_routing(app)
    settings.CELERY_TASK_ALWAYS_EAGER = False
    try:
        yield name
    finally:
        app.conf.task_default_queue, app.conf.task_always_eager = previous
        _forget_routing(app)
        import redis

        client = redis.Redis.from_url(settings.REDIS_URL)
        client.delete(name, *[f"{name}\x06\x16{p}" for p in range(1, 10)])
        client.close()


class Workers:
    # Modules the worker imports besides the project's tasks (``celery worker --include``).
    include = ()

    def __init__(self, queue, tmp_path, base_env):
        self.queue, self.tmp_path, self.base_env = queue, tmp_path, base_env
        self.procs = []

    def start(self, pool="solo", concurrency=1, **env):
        """Start ``celery worker`` and wait until it is ready to consume."""
        index = len(self.procs)
        log = self.tmp_path / f"worker-{index}.log"
        environment = {**os.environ, **self.base_env, **{k: str(v) for k, v in env.items()}}
        command = [
            sys.executable, "-m", "celery", "-A", "luchen_care", "worker",
            *(("--include", ",".join(self.include)) if self.include else ()),
            f"--pool={pool}", f"--concurrency={concurrency}", "-Q", self.queue,
            "-n", f"{self.queue}-{index}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat",
            "-l", "INFO",
        ]  # fmt: skip
        handle = log.open("wb")
        proc = subprocess.Popen(
            command, cwd=BASE_DIR, env=environment, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True
        )
        proc.log = log
        self.procs.append(proc)
        wait_until(
            lambda: b" ready." in log.read_bytes() or proc.poll() is not None, timeout=60, message="worker ready"
        )
        if proc.poll() is not None:
            pytest.fail(f"worker exited with {proc.returncode}:\n{log.read_text(errors='replace')[-3000:]}")
        return proc

    def kill(self, proc):
        """SIGKILL the whole worker (every process of its group): no chance to ack or reject."""
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=10)

    def stop_all(self):
        for proc in self.procs:
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGTERM)
                    proc.wait(timeout=10)
                except (ProcessLookupError, subprocess.TimeoutExpired):
                    pass
            if proc.poll() is None:
                self.kill(proc)

    def logs(self):
        return "\n".join(p.log.read_text(errors="replace")[-4000:] for p in self.procs)


@pytest.fixture
def workers(transactional_db, broker_queue, push_settings, tmp_path, settings):
    """Start real workers with ``workers.start(**env)``; all are stopped when the test ends."""
    base_env = {
        "DATABASE_URL": worker_database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "CELERY_QUEUE": broker_queue,
        "HEALTH_BUREAU_PUSH_URL": settings.HEALTH_BUREAU_PUSH_URL,
        "HEALTH_BUREAU_PUSH_SECRET": SECRET,
        "HEALTH_BUREAU_PUSH_TIMEOUT": "5",
        "PUSH_RETRY_BASE_SECONDS": "0.2",
        "PUSH_RETRY_MAX_SECONDS": "1",
        "PUSH_MAX_ATTEMPTS": "6",
        "PUSH_LEASE_SECONDS": "5",
        "DINGTALK_WEBHOOK_URL": "",
        "DINGTALK_SECRET": "",
        "DJANGO_DEBUG": "true",
        "LOG_LEVEL": "INFO",
    }
    pool = Workers(broker_queue, tmp_path, base_env)
    try:
        yield pool
    finally:
        pool.stop_all()


# --- A loopback SMTP server (aiosmtpd) -----------------------------------------------------


@dataclass
class Mail:
    mail_from: str
    rcpt_tos: list
    content: bytes

    def message(self):
        from email import message_from_bytes, policy

        return message_from_bytes(self.content, policy=policy.default)


@dataclass
class SmtpServer:
    """Records every message; refuses ``RCPT TO`` of the addresses in ``refuse`` with their reply."""

    host: str = "127.0.0.1"
    port: int = 0
    messages: list = field(default_factory=list)
    refuse: dict = field(default_factory=dict)  # address → "550 …" / "451 …"
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        reply = self.refuse.get(address)
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        with self.lock:
            self.messages.append(Mail(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        return "250 Message accepted for delivery"

    def received(self):
        with self.lock:
            return list(self.messages)


def free_port():
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server():
    from aiosmtpd.controller import Controller

    server = SmtpServer(port=free_port())
    controller = Controller(server, hostname=server.host, port=server.port)
    controller.start()
    try:
        yield server
    finally:
        controller.stop()


SMS_KEY = "LTAI-test-key-0577"
SMS_SECRET = "sms-secret-test-0123"
SMS_PATH = "/sms/send"


@pytest.fixture
def notice_settings(settings, smtp_server, receiver):
    """E-mail to the loopback SMTP server, SMS to the loopback receiver, small retry delays."""
    settings.EMAIL_HOST = smtp_server.host
    settings.EMAIL_PORT = smtp_server.port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5.0
    settings.DEFAULT_FROM_EMAIL = "鹿城托育 <notice@lucheng.example>"
    settings.SMS_GATEWAY_URL = f"{receiver.url}{SMS_PATH}"
    settings.SMS_GATEWAY_KEY = SMS_KEY
    settings.SMS_GATEWAY_SECRET = SMS_SECRET
    settings.SMS_SIGN_NAME = "鹿城卫健"
    settings.SMS_GATEWAY_TIMEOUT = 5.0
    settings.PUSH_RETRY_BASE_SECONDS = 0.2
    settings.PUSH_RETRY_MAX_SECONDS = 1.0
    settings.PUSH_MAX_ATTEMPTS = 3
    receiver.default = (200, b'{"code": "OK", "message": "ok"}')
    return settings
