"""Benchmark: the production stack (gunicorn, PostgreSQL, Redis) under Locust at fixed arrival rates.

Run from the repository root, with PostgreSQL and Redis on loopback (``make bench-load``)::

    .venv/bin/python bench/load/run.py [--rates 5 10 20 40] [--seconds 60] [--users 40]
    .venv/bin/python bench/load/run.py --smoke      # about 40 s: 2,000 institutions, 8 users, 3 s per rate

In one bounded run:

1. **Database.** ``DATABASE_URL`` (default ``postgres://postgres@127.0.0.1:5432/lucheng_bench_load``; a
   bench database, on loopback) is dropped and created again (``--reuse`` keeps it), migrated, given
   Lucheng's 14 streets and filled with ``--institutions`` (100,000) institutions by
   ``bench/institutions_api.py``'s ``ensure_database`` and ``fill``.
2. **Users.** Each virtual user has its own account, alternately a health-bureau officer and a
   street office (the 14 streets in turn), with a real TOTP device where ``REQUIRE_2FA`` asks for one
   (``tests/otp.py``'s ``Authenticator``; the virtual user types ``code_for_key``'s code into the
   login form) and an API token of its own; an API client system with a token, and a registration
   authority (市场监管局) with a token for registration POSTs.
3. **Server.** ``collectstatic`` into a temporary ``DJANGO_STATIC_ROOT``, then gunicorn as the
   Dockerfile runs it (ENTRYPOINT and CMD: ``scripts/entrypoint web``, gunicorn.conf.py's workers and
   timeout; bound to a loopback port instead of 0.0.0.0:8000 by ``GUNICORN_BIND``) and
   the production settings: ``DJANGO_DEBUG=false``, its secret from the environment, no SSL redirect
   (plain HTTP on loopback), ``DATABASE_URL``, ``REDIS_URL`` (the cache and the broker in that one
   Redis database, on a queue of the run's own; no worker consumes it, and the queue is deleted at
   the end).
4. **Load.** ``bench/load/locustfile.py`` (Locust as a library, in its own process) signs every
   virtual user in once, then holds each rate of ``--rates`` for ``--seconds``, each virtual user
   from its own loopback address.
5. **Report.** Per rate: the achieved requests per second; per request type p50/p95/p99 (nearest
   rank, of the answers that were as expected), errors and 429s apart; the knee; PASS or FAIL.
   Printed, and written to ``bench/out/load.json`` (``load_smoke.json`` for ``--smoke``) and a copy
   named by the run's time. Exit status 1 on FAIL.

Everything the run starts (collectstatic, gunicorn and its workers, the Locust process) is stopped by
its process id when it ends, also on an error or Ctrl-C. See ``bench/README.md``.
"""

import argparse
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.error import URLError
from urllib.parse import urlsplit
from urllib.request import urlopen

LOAD_DIR = Path(__file__).resolve().parent
BENCH_DIR = LOAD_DIR.parent
BASE_DIR = BENCH_DIR.parent
OUT_DIR = BENCH_DIR / "out"
# The environment as given, before bench/institutions_api.py sets its own defaults (a raised API
# throttle, among others, which must not reach the server under test).
GIVEN_ENV = dict(os.environ)

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/lucheng_bench_load"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/13"
PASSWORD = "Load-bench-2026!"  # every bench account's; a bench database only
COUNTY = "330302"
FLAT_FACTOR = 1.5  # "flat": p95 at most this many times the lowest rate's p95 ...
KEEP_UP = 0.9  # ... and at least this share of the target rate achieved
API_LIST_P95_LIMIT_MS = 300  # the target: p95 of API lists at 20 requests/s
API_LIST_P95_RATE = 20
MAX_USERS = 240  # 127.0.0.11 … 127.0.0.250
IDS_PER_SCOPE = 500  # institution ids each scope's change pages and details pick from


def first_address(index):
    return f"127.0.0.{11 + index}"


# --- Processes -------------------------------------------------------------------------------


class Started:
    """The processes this run started, each in its own process group, stopped by id at the end."""

    def __init__(self):
        self.procs = []

    def start(self, args, **kwargs):
        proc = subprocess.Popen(args, start_new_session=True, **kwargs)
        self.procs.append(proc)
        return proc

    def stop_all(self):
        from push_registrations import stop

        failed = []
        for proc in reversed(self.procs):  # every one, even after one that would not stop
            try:
                stop(proc, group=True, timeout=15)
            except Exception as exc:  # noqa: BLE001
                failed.append(f"{proc.args[0]} (pid {proc.pid}): {exc!r}")
        if failed:
            raise RuntimeError(f"could not stop {'; '.join(failed)}")


class CpuSampler(threading.Thread):
    """Every second: the CPU seconds of gunicorn's processes, of the PostgreSQL backends serving the
    bench database and of the Locust process, and the machine's busy and total jiffies (/proc/stat),
    so that each rate's CPU use, and what other work on the machine took, can be read afterwards."""

    def __init__(self, pids, database):
        super().__init__(daemon=True)
        self.pids = pids  # name -> root pid
        self.title = f" {database} "  # in a backend's process title: "postgres: 15/main: postgres <db> …"
        self.backends = {}  # pid -> its CPU seconds when last seen (a backend that ended keeps its share)
        self.rows = []
        self.stopped = threading.Event()

    @staticmethod
    def machine_jiffies():
        fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
        idle = fields[3] + fields[4]  # idle + iowait
        return sum(fields) - idle, sum(fields)

    def postgres_seconds(self):
        from push_registrations import cpu_seconds

        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                title = (entry / "cmdline").read_bytes().decode(errors="replace")
            except OSError:
                continue
            if title.startswith("postgres: ") and self.title in title:
                self.backends[int(entry.name)] = cpu_seconds([int(entry.name)])
        return sum(self.backends.values())

    def sample(self):
        from push_registrations import cpu_seconds, process_tree

        row = {"t": time.time(), "machine": self.machine_jiffies(), "postgres": self.postgres_seconds()}
        for name, pid in self.pids.items():
            row[name] = cpu_seconds(process_tree(pid))
        self.rows.append(row)

    def run(self):
        while not self.stopped.wait(1.0):
            self.sample()

    def between(self, start, end):
        """Cores used by each process tree, by the rest of the machine, and its busy share, in [start, end]."""
        inside = [r for r in self.rows if start - 0.5 <= r["t"] <= end + 0.5]
        if len(inside) < 2:
            return {}
        a, b = inside[0], inside[-1]
        seconds = b["t"] - a["t"]
        busy = (b["machine"][0] - a["machine"][0]) / max(1, b["machine"][1] - a["machine"][1])
        used = {f"{name}_cores": round((b[name] - a[name]) / seconds, 2) for name in [*self.pids, "postgres"]}
        others = busy * (os.cpu_count() or 1) - sum(used.values())
        return {**used, "other_cores": round(max(0.0, others), 2), "machine_busy": round(busy, 2)}


def server_env(database_url, redis_url, secret, queue, tmp):
    """The production settings, and only them: nothing else of this process's environment."""
    env = {key: GIVEN_ENV[key] for key in ("PATH", "HOME", "LANG", "LC_ALL", "TZ", "TMPDIR") if key in GIVEN_ENV}
    env.update(
        DJANGO_SETTINGS_MODULE="luchen_care.settings",
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY=secret,
        DJANGO_SECURE_SSL_REDIRECT="false",  # plain HTTP on loopback; the proxy's header says https
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        REDIS_CACHE_URL=redis_url,  # the bench's one Redis database; nothing here clears the cache
        CELERY_QUEUE=queue,
        DJANGO_STATIC_ROOT=str(tmp / "static"),
        DJANGO_MEDIA_ROOT=str(tmp / "media"),
        PYTHONUNBUFFERED="1",  # as the image
        PYTHONDONTWRITEBYTECODE="1",
    )
    return env


def wait_healthy(port, proc, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"gunicorn exited with {proc.returncode} before it answered")
        try:
            with urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as answer:
                if answer.status == 200:
                    return
        except (URLError, OSError):
            pass
        time.sleep(0.2)
    raise SystemExit(f"gunicorn did not answer /healthz within {timeout} s")


def redis_forget(redis_url, queue=None):
    """Delete the throttle histories (a fresh database reuses user ids) and the run's queue."""
    import redis

    client = redis.Redis.from_url(redis_url)
    patterns = ["*throttle_*"] + ([f"*{queue}*"] if queue else [])
    for pattern in patterns:
        keys = list(client.scan_iter(match=pattern, count=1000))
        if keys:
            client.delete(*keys)
    client.close()


# --- Data --------------------------------------------------------------------------------------


def prepare_database(args):
    """Drop (unless ``--reuse``), create, migrate and fill; returns (name, server version, counts)."""
    import institutions_api

    database_url = os.environ["DATABASE_URL"]
    if not args.reuse:
        institutions_api.check_bench_name(urlsplit(database_url).path.lstrip("/"))
        institutions_api.drop_database(database_url)
    name, version = institutions_api.ensure_database(database_url)

    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    call_command("region", "add", COUNTY, verbosity=0)
    added, seconds = institutions_api.fill(args.institutions)
    from registry.models import Institution

    total = Institution.objects.count()
    print(f"{name}: {total:,} institutions (added {added:,} in {seconds:.1f} s)", flush=True)
    return name, version, {"institutions": total, "added": added, "fill_seconds": round(seconds, 1)}


def create_accounts(users, seed):
    """The virtual users' accounts, the API client and the registration authority (see the module docstring)."""
    import random
    from base64 import b32encode

    from axes.models import AccessAttempt
    from django.contrib.auth.hashers import make_password
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from luchen_care.accounts.models import ApiToken, Authority, Role, User
    from luchen_care.accounts.services import api_token_issue
    from luchen_care.regions.models import County
    from registry.models import Institution, Street
    from tests.otp import Authenticator

    rng = random.Random(seed)
    county = County.objects.get(code=COUNTY)
    streets = list(Street.objects.filter(county=county).order_by("code"))
    hashed = make_password(PASSWORD)  # one PBKDF2 for every account, not one each

    def account(username, role, **fields):
        user, _ = User.objects.update_or_create(
            username=username,
            defaults={"role": role, "password": hashed, "is_active": True, "is_staff": role != Role.API_CLIENT}
            | {"county": None, "street": None, "authority": ""}
            | fields,
        )
        user.full_clean()
        TOTPDevice.objects.filter(user=user).delete()
        AccessAttempt.objects.filter(username=username).delete()
        authenticator = Authenticator.of(user)  # a confirmed TOTP device where REQUIRE_2FA asks for one
        ApiToken.objects.filter(user=user, name="bench-load").delete()  # keys are not stored: new ones
        token = api_token_issue(actor=user, user=user, name="bench-load").key
        key = b32encode(authenticator.device.bin_key).decode() if authenticator else None
        return user, token, key

    def sample(queryset):
        """A sample of the ids in ``queryset``, and how many there are (for page numbers that exist)."""
        ids = list(queryset.values_list("pk", flat=True))
        return rng.sample(ids, min(IDS_PER_SCOPE, len(ids))), len(ids)

    accounts, scope_ids = [], {}
    for index in range(users):
        if index % 2 == 0:
            user, token, key = account(f"load_health_{index:03d}", Role.HEALTH_BUREAU, county=county)
            scope = "county"
        else:
            street = streets[(index // 2) % len(streets)]
            user, token, key = account(f"load_street_{index:03d}", Role.STREET_OFFICE, street=street)
            scope = street.code
        if scope not in scope_ids:
            scope_ids[scope] = sample(Institution.objects.visible_to(user))
        accounts.append(
            {
                "username": user.username,
                "password": PASSWORD,
                "role": user.role,
                "otp_key": key,
                "token": token,
                "address": first_address(index),
                "ids": scope_ids[scope][0],
                "visible": scope_ids[scope][1],
            }
        )
    client, client_token, _ = account("load_api_client", Role.API_CLIENT)
    registrar, registrar_token, _ = account(
        "load_market", Role.REGISTRATION_AUTHORITY, county=county, authority=Authority.MARKET_REGULATION
    )
    all_ids, all_visible = sample(Institution.objects.visible_to(client))
    enrolled = sum(1 for a in accounts if a["otp_key"])
    print(
        f"{users} virtual users ({enrolled} with an authenticator), an API client and a registration authority",
        flush=True,
    )
    return {
        "users": accounts,
        "api_client": {
            "username": client.username,
            "password": PASSWORD,
            "token": client_token,
            "exchange_name": "bench-load-exchange",
            "visible": all_visible,
        },
        "registrar": {"username": registrar.username, "token": registrar_token},
        "streets": [{"code": s.code, "name": s.name, "pk": s.pk} for s in streets],
        "all_ids": all_ids,
    }


# --- Report ------------------------------------------------------------------------------------


def outcome(sample):
    """``ok``, ``throttled`` (429), ``server_error`` (5xx, or no answer) or ``unexpected``."""
    from mix import EXPECTED

    name, _start, _ms, status, error = sample[:5]
    if status == 429:
        return "throttled"
    if status == 0 or status >= 500:
        return "server_error"
    if status == EXPECTED[name] and error is None:
        return "ok"
    return "unexpected"


def type_stats(samples):
    from institutions_api import percentile

    counts = {"requests": len(samples), "ok": 0, "throttled": 0, "server_error": 0, "unexpected": 0}
    times = []
    for sample in samples:
        result = outcome(sample)
        counts[result] += 1
        if result == "ok":
            times.append(sample[2])
    counts["errors"] = counts["server_error"] + counts["unexpected"]
    for p in (50, 95, 99):
        counts[f"p{p}_ms"] = round(percentile(times, p), 1) if times else None
    return counts


def analyse(result, cpu):
    """Per rate: achieved rate, per-type figures, CPU; then the knee."""
    from mix import MIX, SIGN_IN

    samples = [s for s in result["samples"] if s[1] is not None]
    stages = []
    for stage in result["stages"]:
        inside = [s for s in samples if stage["start"] <= s[1] < stage["end"] and s[0] in MIX]
        seconds = stage["end"] - stage["start"]
        types = {name: type_stats([s for s in inside if s[0] == name]) for name in MIX}
        variants = {}  # the queries of the lists, each on its own (where the time goes)
        for name in ("API list", "admin changelist"):
            labels = sorted({s[5] for s in inside if s[0] == name and s[5]})
            variants[name] = {v: type_stats([s for s in inside if s[0] == name and s[5] == v]) for v in labels}
        overall = type_stats(inside)
        stages.append(
            {
                "rate": stage["rate"],
                "seconds": round(seconds, 1),
                "achieved_rps": round(len(inside) / seconds, 2),
                "all": overall,
                "types": types,
                "variants": variants,
                "share": {name: round(types[name]["requests"] / max(1, len(inside)), 4) for name in MIX},
                "cpu": cpu.between(stage["start"], stage["end"]),
            }
        )
    knee = None
    by_rate = sorted(stages, key=lambda s: s["rate"])
    if by_rate and by_rate[0]["all"]["p95_ms"] is not None:
        base = by_rate[0]["all"]["p95_ms"]  # the lowest rate's, whatever order the rates ran in
        for stage in by_rate:
            p95 = stage["all"]["p95_ms"]
            kept_up = stage["achieved_rps"] >= KEEP_UP * stage["rate"]
            stage["flat"] = p95 is not None and p95 <= FLAT_FACTOR * base and kept_up
            if not stage["flat"]:
                break
            knee = stage["rate"]
    form, post = SIGN_IN
    sign_in = type_stats([s for s in samples if s[0] == post])  # its times: the password (and code) POST
    form_answers = type_stats([s for s in samples if s[0] == form])  # the form's GET fails a run as well
    for count in ("server_error", "unexpected", "errors"):
        sign_in[count] += form_answers[count]
    return stages, knee, sign_in


def verdict(stages, sign_in, result, users, smoke):
    """PASS or FAIL and why."""
    reasons = []
    if result["signed_in"] != users:
        reasons.append(f"{users - result['signed_in']} of {users} virtual users could not sign in")
    if len(stages) != len(result["rates"]):
        reasons.append("the run stopped before every rate was held")
    if result.get("unfinished"):
        reasons.append(f"{result['unfinished']} requests were still unanswered when the run ended")
    server_errors = sum(s["all"]["server_error"] for s in stages) + sign_in["server_error"]
    if server_errors:
        reasons.append(f"{server_errors} answers were 5xx or never came")
    unexpected = sum(s["all"]["unexpected"] for s in stages) + sign_in["unexpected"]
    if unexpected:
        reasons.append(f"{unexpected} answers were not the expected status (other than 429)")
    for name in stages[0]["types"] if stages else ():
        if not any(s["types"][name]["ok"] for s in stages):
            reasons.append(f"no {name} was answered as expected")
    at = next((s for s in stages if s["rate"] == API_LIST_P95_RATE), None)
    latency = "not measured"
    if at is not None:
        p95 = at["types"]["API list"]["p95_ms"]
        latency = f"{p95} ms"
        if smoke:
            latency += " (smoke: reported, not held to the target)"
        elif p95 is None or p95 > API_LIST_P95_LIMIT_MS:
            reasons.append(
                f"API list p95 at {API_LIST_P95_RATE} requests/s is {p95} ms (target ≤ {API_LIST_P95_LIMIT_MS} ms)"
            )
    elif not smoke:
        reasons.append(f"no stage at {API_LIST_P95_RATE} requests/s to hold the API list p95 to")
    return not reasons, reasons, latency


def print_report(stages, knee, sign_in, passed, reasons, latency, info):
    print()
    print(
        f"{info['institutions']:,} institutions; {info['users']} virtual users; {info['seconds']} s per rate; "
        f"gunicorn: {' '.join(info['gunicorn'][1:])}"
    )
    print(
        f"sign-in: {sign_in['ok']} of {sign_in['requests']} in {info['sign_in_seconds']} s, "
        f"p50 {sign_in['p50_ms']} ms, p95 {sign_in['p95_ms']} ms"
    )
    header = (
        f"{'rate':>5} {'achieved':>8}  {'type':<18} {'n':>5} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} "
        f"{'errors':>6} {'429':>4}"
    )
    print(header)
    print("-" * len(header))

    def fmt(value):
        return f"{value:8.1f}" if value is not None else f"{'—':>8}"

    for stage in stages:
        rows = [("all", stage["all"]), *stage["types"].items()]
        for i, (name, row) in enumerate(rows):
            lead = f"{stage['rate']:>5} {stage['achieved_rps']:>8.2f}" if i == 0 else " " * 14
            print(
                f"{lead}  {name:<18} {row['requests']:>5} {fmt(row['p50_ms'])} {fmt(row['p95_ms'])} "
                f"{fmt(row['p99_ms'])} {row['errors']:>6} {row['throttled']:>4}"
            )
        cpu = stage["cpu"]
        if cpu:
            print(
                f"{'':14}  CPU (cores): gunicorn {cpu['gunicorn_cores']}, PostgreSQL {cpu['postgres_cores']}, "
                f"Locust {cpu['locust_cores']}, other work {cpu['other_cores']}; machine {cpu['machine_busy']:.0%} busy"
            )
    for stage in stages:
        if stage["rate"] in (stages[0]["rate"], API_LIST_P95_RATE):
            print(f"\nAPI list at {stage['rate']} requests/s, by query (n, p50, p95 ms):")
            for label, row in stage["variants"]["API list"].items():
                print(f"  {label:<44} {row['requests']:>4} {fmt(row['p50_ms'])} {fmt(row['p95_ms'])}")
    print()
    print(
        f"knee: {knee if knee is not None else 'none'} requests/s (the highest rate up to which every rate's p95 "
        f"of all requests stays within {FLAT_FACTOR}× the lowest rate's and at least {KEEP_UP:.0%} of the "
        "target rate is achieved)"
    )
    print(f"API list p95 at {API_LIST_P95_RATE} requests/s: {latency}")
    print("PASS" if passed else "FAIL: " + "; ".join(reasons))


# --- The run -----------------------------------------------------------------------------------


def run(args):
    from benchlib import machine
    from mix import MIX
    from push_registrations import check_loopback

    database_url = os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    redis_url = os.environ.setdefault("REDIS_URL", DEFAULT_REDIS_URL)
    check_loopback(database_url, "DATABASE_URL")
    check_loopback(redis_url, "REDIS_URL")
    secret = GIVEN_ENV.get("DJANGO_SECRET_KEY") or secrets.token_urlsafe(50)
    queue = f"bench_load_{os.getpid()}_{int(time.time())}"
    # This process's own Django (migrate, fill, accounts) runs on the server's settings too.
    os.environ.update(
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY=secret,
        DJANGO_SECURE_SSL_REDIRECT="false",
        REDIS_CACHE_URL=redis_url,
        CELERY_QUEUE=queue,
        LOG_LEVEL="WARNING",
    )
    started = Started()
    tmp = Path(tempfile.mkdtemp(prefix="bench_load_"))
    env = server_env(database_url, redis_url, secret, queue, tmp)
    log_path = OUT_DIR / ("load_smoke_gunicorn.log" if args.smoke else "load_gunicorn.log")
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    t_start = time.time()
    cpu = None
    try:
        # Static files: the manifest production's storage reads. The API docs' Swagger and ReDoc
        # bundles (drf_spectacular_sidecar, most of the time) are left out: no request here loads them.
        collect = started.start(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0", "-i", "drf_spectacular_sidecar"],
            cwd=BASE_DIR,
            env=env,
        )
        db_name, pg_version, counts = prepare_database(args)
        from registry.models import Registration
        from registry.validators import USCC_ALPHABET

        # The run's tag in its registrations' credit codes and numbers: one no earlier run on this
        # database used (with --reuse), so that every registration POST is a new one.
        used = {
            n[5:7]
            for n in Registration.objects.filter(registration_number__startswith="LOAD-").values_list(
                "registration_number", flat=True
            )
        }
        run_tag = next(a + b for a in USCC_ALPHABET for b in USCC_ALPHABET if a + b not in used)
        config = create_accounts(args.users, args.seed)
        from django.db import connection, connections

        if args.analyze:
            # Statistics for every table, the 14-row street table included, which autovacuum never
            # analyzes (its threshold is 50 changed rows): a diagnosis, not production's state.
            with connection.cursor() as cur:
                cur.execute("ANALYZE")
            print("ANALYZE: statistics for every table", flush=True)

        connections.close_all()
        redis_forget(redis_url)
        print(f"database and accounts ready {time.time() - t_start:.1f} s after start", flush=True)
        if collect.wait(timeout=300) != 0:
            raise SystemExit("collectstatic failed")
        print(f"collectstatic done {time.time() - t_start:.1f} s after start", flush=True)

        from stack import free_port, production_commands  # scripts/stack.py: what production runs

        port = free_port()
        command = production_commands()[0]["web"]  # the Dockerfile's ENTRYPOINT and CMD
        env["GUNICORN_BIND"] = f"127.0.0.1:{port}"  # loopback, instead of the image's 0.0.0.0:8000
        env["PATH"] = f"{Path(sys.executable).parent}:{env.get('PATH', '/usr/bin:/bin')}"  # the entry point's gunicorn
        with open(log_path, "w") as log:
            gunicorn = started.start(command, cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT)
        wait_healthy(port, gunicorn)
        print(f"gunicorn (pid {gunicorn.pid}) on 127.0.0.1:{port}, ready {time.time() - t_start:.1f} s after start")

        config.update(
            host=f"http://127.0.0.1:{port}",
            rates=args.rates,
            seconds=args.seconds,
            seed=args.seed,
            run_tag=run_tag,
            sign_in_timeout=120,
            samples_out=str(tmp / "samples.json"),
        )
        config_path = tmp / "config.json"
        config_path.write_text(json.dumps(config, ensure_ascii=False))
        load_before = os.getloadavg()
        locust = started.start([sys.executable, str(LOAD_DIR / "locustfile.py"), str(config_path)], env=env)
        cpu = CpuSampler({"gunicorn": gunicorn.pid, "locust": locust.pid}, db_name)
        cpu.start()
        budget = 120 + len(args.rates) * args.seconds + 70 + 60
        try:
            code = locust.wait(timeout=budget)
        except subprocess.TimeoutExpired:
            raise SystemExit(f"the Locust process did not finish within {budget} s") from None
        load_after = os.getloadavg()
        cpu.stopped.set()
        if not (tmp / "samples.json").exists():
            raise SystemExit(f"the Locust process exited with {code} and wrote no samples")
        result = json.loads((tmp / "samples.json").read_text())
        result["rates"] = args.rates
    finally:
        if cpu is not None:
            cpu.stopped.set()
        started.stop_all()
        try:
            redis_forget(redis_url, queue)
        finally:
            import shutil

            shutil.rmtree(tmp, ignore_errors=True)

    stages, knee, sign_in = analyse(result, cpu)
    passed, reasons, latency = verdict(stages, sign_in, result, args.users, args.smoke)
    addresses = set()
    for line in log_path.read_text(errors="replace").splitlines():
        try:  # gunicorn's access log: one JSON object per request (gunicorn.conf.py)
            remote = json.loads(line).get("remote", "") if line.startswith("{") else ""
        except ValueError:
            remote = ""
        if remote.startswith("127.0.0.") and remote != "127.0.0.1":  # 127.0.0.1: this process's /healthz
            addresses.add(remote)
    info = {
        "institutions": counts["institutions"],
        "users": args.users,
        "seconds": args.seconds,
        "gunicorn": command,
        "sign_in_seconds": result["sign_in_seconds"],
    }
    print_report(stages, knee, sign_in, passed, reasons, latency, info)
    print(
        f"gunicorn saw requests from {len(addresses)} addresses for {args.users} virtual users; "
        f"whole run {time.time() - t_start:.0f} s"
    )
    when = datetime.now(UTC)
    report = {
        "when": when.isoformat(timespec="seconds"),
        "smoke": args.smoke,
        "analyzed_every_table": args.analyze,
        "machine": {
            **machine(),
            "postgresql": pg_version,
            "loadavg_1min_before": round(load_before[0], 2),
            "loadavg_1min_after": round(load_after[0], 2),
        },
        "database": db_name,
        **counts,
        "virtual_users": args.users,
        "roles": {"health_bureau": (args.users + 1) // 2, "street_office": args.users // 2},
        "client_addresses_seen": len(addresses),
        "gunicorn_command": command,
        "seconds_per_rate": args.seconds,
        "mix": MIX,
        "sign_in": {**sign_in, "seconds": result["sign_in_seconds"]},
        "stages": stages,
        "knee_rps": knee,
        "knee_definition": (
            f"the highest rate up to which every rate's p95 of all requests is at most {FLAT_FACTOR}x the "
            f"lowest rate's and at least {KEEP_UP:.0%} of the target rate is achieved"
        ),
        "api_list_p95_target": {"rate": API_LIST_P95_RATE, "limit_ms": API_LIST_P95_LIMIT_MS, "measured": latency},
        "pass": passed,
        "reasons": reasons,
        "whole_run_seconds": round(time.time() - t_start, 1),
    }
    name = "load_smoke" if args.smoke else "load_analyzed" if args.analyze else "load"
    text = json.dumps(report, ensure_ascii=False, indent=2) + "\n"
    (OUT_DIR / f"{name}.json").write_text(text)
    kept = OUT_DIR / f"{name}-{when:%Y%m%dT%H%M%SZ}.json"
    kept.write_text(text)
    print(f"written to {(OUT_DIR / f'{name}.json').relative_to(BASE_DIR)} and {kept.relative_to(BASE_DIR)}")
    return 0 if passed else 1


def main():
    sys.path[:0] = [str(LOAD_DIR), str(BENCH_DIR), str(BASE_DIR), str(BASE_DIR / "scripts")]
    os.chdir(BASE_DIR)
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rates", type=float, nargs="+", default=None, help="requests/s, in turn (5 10 20 40)")
    parser.add_argument("--seconds", type=float, default=None, help="seconds per rate (60; --smoke 3)")
    parser.add_argument("--users", type=int, default=None, help="virtual users (40; --smoke 8)")
    parser.add_argument("--institutions", type=int, default=None, help="fill up to (100000; --smoke 2000)")
    parser.add_argument("--seed", type=int, default=20261203)
    parser.add_argument("--reuse", action="store_true", help="keep the bench database if it exists")
    parser.add_argument(
        "--analyze", action="store_true", help="ANALYZE every table before the load (a diagnosis: see bench/README.md)"
    )
    parser.add_argument("--smoke", action="store_true", help="CI's short run: every request type, fails on any 5xx")
    args = parser.parse_args()
    defaults = {"rates": [5, 10, 20, 40], "seconds": 3 if args.smoke else 60, "users": 8 if args.smoke else 40}
    defaults["institutions"] = 2000 if args.smoke else 100_000
    for key, value in defaults.items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    args.rates = [int(r) if float(r).is_integer() else r for r in args.rates]
    if not (2 <= args.users <= MAX_USERS and 1 <= args.seconds <= 600 and 100 <= args.institutions <= 1_000_000):
        parser.error(f"--users 2..{MAX_USERS}, --seconds 1..600, --institutions 100..1000000")
    if not all(0 < r <= 500 for r in args.rates):
        parser.error("--rates between 0 and 500 requests/s")

    def terminated(signum, frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, terminated)  # the finally blocks stop what was started
    try:
        sys.exit(run(args))
    except KeyboardInterrupt:
        print("interrupted: everything the run started has been stopped", file=sys.stderr)
        sys.exit(130)


if __name__ == "__main__":
    main()
