"""Eight identical registration POSTs at once against the embedded SQLite default; prints a JSON summary.

Run by ``tests/embedded/test_sqlite.py`` in a subprocess, because the suite itself runs on
PostgreSQL only. It can also be run by hand::

    DATABASE_URL=sqlite:////tmp/x/db.sqlite3 REDIS_URL= DJANGO_SETTINGS_MODULE=luchen_care.settings \\
        .venv/bin/python tests/embedded/sqlite_concurrency.py

What it does, on a fresh database file (the one ``DATABASE_URL`` names): migrates; creates a
market-regulation user with an API token; serves the project's WSGI application from a
threaded server on a loopback port (as ``runserver`` does: one thread per request); sends
``POST /api/v1/registrations/`` with the same body from ``--clients`` threads released together
by a barrier; then counts what the database holds. Tasks run in-process (``REDIS_URL`` empty),
so each push delivery is attempted on commit, as on a laptop.

The last line of stdout is the summary: the answers' status codes, the bodies of any 5xx,
the rows stored (registrations, institutions, push deliveries per channel) and timings.
"""

import argparse
import datetime
import html
import json
import os
import re
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

BASE_DIR = Path(__file__).resolve().parents[2]


_DEBUG_PAGE = (r"<title>(.*?)</title>", r'<pre class="exception_value">(.*?)</pre>')


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):
        pass


def _credit_code():
    from registry.validators import uscc_check_character

    body = "91330302" + "MA2EMB001"
    return body + uscc_check_character(body)


def _post(url, token, body, barrier, answers):
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Content-Type": "application/json", "Authorization": f"Token {token}"},
    )
    barrier.wait()
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            answers.append((response.status, ""))
    except urllib.error.HTTPError as exc:
        text = exc.read().decode(errors="replace")
        # DEBUG's error page: the exception's class and message; otherwise the body itself.
        found = [re.search(pattern, text, re.S) for pattern in _DEBUG_PAGE]
        detail = " — ".join(" ".join(m.group(1).split()) for m in found if m) or text
        answers.append((exc.code, html.unescape(detail)[:300]))
    except Exception as exc:  # noqa: BLE001 — a refused or dropped connection is an answer too
        answers.append((0, repr(exc)[:300]))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument(
        "--without-sqlite-options",
        action="store_true",
        help="drop the settings' SQLite OPTIONS (shows what the default was without them)",
    )
    args = parser.parse_args(argv)

    sys.path.insert(0, str(BASE_DIR))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "luchen_care.settings")
    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
        parser.error("DATABASE_URL must name an SQLite file (sqlite:///…)")
    if args.without_sqlite_options:
        settings.DATABASES["default"]["OPTIONS"] = {}  # before the first connection is made

    import django

    django.setup()
    from django.core.management import call_command
    from django.core.wsgi import get_wsgi_application
    from django.db import connection
    from django.utils import timezone

    from luchen_care.accounts.models import Authority, Role, User
    from luchen_care.accounts.services import api_token_issue
    from luchen_care.exchange.models import PushDelivery
    from luchen_care.exchange.services import enabled_channels
    from luchen_care.regions.models import County
    from registry.models import Institution, Registration

    started = time.monotonic()
    call_command("migrate", verbosity=0, interactive=False)
    call_command("region", "add", "330302", verbosity=0)  # the county and its streets, as a deployment adds them
    migrated = time.monotonic()

    user = User.objects.create_user(
        username="embedded-market",
        password="pw-Lucheng-2026",
        role=Role.REGISTRATION_AUTHORITY,
        authority=Authority.MARKET_REGULATION,
        county=County.objects.get(code="330302"),
    )
    token = api_token_issue(actor=user, user=user, name="embedded").key
    connection.close()  # the server's threads open their own connections

    body = {
        "authority": Authority.MARKET_REGULATION,
        "registration_number": "330302EMBEDDED01",
        "registered_on": (timezone.localdate() - datetime.timedelta(days=3)).isoformat(),
        "kind": "new",
        "credit_code": _credit_code(),
        "institution_name": "温州市鹿城区并发测试托育有限公司",
        "street_code": "330302006",
        "address": "温州市鹿城区五马街道解放街8号",
        "legal_representative": "陈丽",
    }

    httpd = make_server("127.0.0.1", 0, get_wsgi_application(), _ThreadingServer, _QuietHandler)
    server = threading.Thread(target=httpd.serve_forever, daemon=True)
    server.start()
    url = f"http://127.0.0.1:{httpd.server_address[1]}/api/v1/registrations/"
    barrier = threading.Barrier(args.clients)
    answers = []
    clients = [threading.Thread(target=_post, args=(url, token, body, barrier, answers)) for _ in range(args.clients)]
    sent = time.monotonic()
    for thread in clients:
        thread.start()
    for thread in clients:
        thread.join()
    answered = time.monotonic()
    httpd.shutdown()
    httpd.server_close()

    summary = {
        "sqlite_options": settings.DATABASES["default"].get("OPTIONS", {}),
        "journal_mode": connection.cursor().execute("PRAGMA journal_mode").fetchone()[0],
        "statuses": dict(sorted(Counter(str(status) for status, _detail in answers).items())),
        "errors": [detail for status, detail in answers if status == 0 or status >= 500],
        "registrations": Registration.objects.count(),
        "institutions": Institution.objects.count(),
        "deliveries": dict(Counter(PushDelivery.objects.values_list("channel", flat=True))),
        "channels": sorted(enabled_channels()),
        "seconds": {
            "migrate": round(migrated - started, 2),
            "requests": round(answered - sent, 2),
            "total": round(time.monotonic() - started, 2),
        },
    }
    print(json.dumps(summary, ensure_ascii=False, default=str))


if __name__ == "__main__":
    main()
