"""The newcomer's path, as ``make run`` takes it: the embedded default (SQLite in a file, Celery
tasks in-process), ``manage.py demo``, then ``runserver``; the pages a newcomer opens first answer.

The rest of the suite runs on PostgreSQL and Redis, as production does; this is the one test of
the default a clone starts with. It runs real processes on loopback, nothing in this process.
"""

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]
DEMO_PASSWORD = "Lucheng-demo-2026"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def embedded_env(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_", "CELERY_"))}
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        REDIS_URL="",
        DJANGO_DEBUG="true",
        DJANGO_SETTINGS_MODULE="luchen_care.settings",
        PYTHONUNBUFFERED="1",
    )
    return env


def fetch(url, *, data=None, headers=None):
    request = urllib.request.Request(url, data=data, headers=headers or {})
    request.add_header("Accept-Language", "zh-hans")
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status, response.read().decode("utf-8")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", "replace")


def test_make_run_gives_a_working_platform_on_sqlite(tmp_path):
    env = embedded_env(tmp_path)
    demo = subprocess.run(
        [sys.executable, "manage.py", "demo"], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=300
    )
    assert demo.returncode == 0, demo.stdout + demo.stderr
    token = re.search(r"API token of user 'api': ([0-9a-f]{40})", demo.stdout).group(1)

    port = free_port()
    log = open(tmp_path / "runserver.log", "w")  # noqa: SIM115  (closed below, after the process)
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
        cwd=BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                status, _body = fetch(f"{base}/healthz")
                if status == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, (tmp_path / "runserver.log").read_text()
            assert server.poll() is None, (tmp_path / "runserver.log").read_text()
            time.sleep(0.2)

        status, home = fetch(f"{base}/")
        # The demo serves two counties of one city: its public face is the city's, from the county records.
        assert status == 200 and "温州托育综合监管平台" in home and "温州市卫生健康委员会" in home
        status, login = fetch(f"{base}/admin/login/")
        assert status == 200 and "登录" in login
        status, docs = fetch(f"{base}/api/docs/")
        assert status == 200 and "swagger" in docs.lower()

        status, body = fetch(f"{base}/api/v1/institutions/?page_size=5", headers={"Authorization": f"Token {token}"})
        assert status == 200, body
        listing = json.loads(body)
        assert listing["count"] >= 50 and len(listing["results"]) == 5

        # A demo login gets a token of its own through the API, as another system would.
        status, body = fetch(
            f"{base}/api/v1/auth/token/",
            data=json.dumps({"username": "wuma", "password": DEMO_PASSWORD}).encode(),
            headers={"Content-Type": "application/json"},
        )
        assert status == 200, body
        wuma_token = json.loads(body)["token"]
        status, body = fetch(
            f"{base}/api/v1/institutions/?street=330302023", headers={"Authorization": f"Token {wuma_token}"}
        )
        assert status == 200 and json.loads(body)["count"] == 0  # 五马's office sees nothing of 七都
    finally:
        server.terminate()
        server.wait(timeout=20)
        log.close()
