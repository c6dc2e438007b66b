"""Benchmark: push 10,000 registrations through a real Celery worker to a loopback receiver.

Run from the repository root, with PostgreSQL and Redis on loopback::

    REDIS_URL=redis://127.0.0.1:6379/0 .venv/bin/python bench/push_registrations.py

What happens:
1. The bench database (``DATABASE_URL``, default ``postgres://postgres@127.0.0.1:5432/lucheng_bench_push``)
   is dropped, recreated and migrated; ``--registrations`` institutions and registrations are
   written with ``bulk_create``, each with its outbox rows (webhook and inbox: topic, subject,
   label and stored payload), as ``registry.services.push.registration_push_enqueue`` would write them.
2. A receiver subprocess listens on 127.0.0.1 (``http.server``, one thread per connection),
   checks every ``X-Signature`` with ``luchen_care.exchange.signature.verify`` and counts
   requests and distinct ``Idempotency-Key`` values.
3. A real worker starts (``celery -A luchen_care worker --pool=prefork -c N``) on a queue of
   this run's own; the bench publishes one ``deliver_push`` per outbox row and waits until
   every row is delivered.

Reported: end-to-end wall time from the first publish to the last delivered row, throughput
(registrations pushed per second, and deliveries per second), peak memory (worker: the peak
of the summed RSS of its processes, sampled every 0.2 s, and each process's VmHWM; the
receiver's VmHWM). Printed, and written to ``bench/out/push_registrations.json``.
Loopback only; bounded by ``--timeout``. See ``bench/README.md``.
"""

import argparse
import json
import os
import platform
import signal
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

from benchlib import recreate_database

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/lucheng_bench_push"
OUT_DIR = BASE_DIR / "bench" / "out"
SECRET = "bench-push-secret"
LOOPBACK = ("127.0.0.1", "localhost", "::1")


# --- The receiver (runs as its own process: ``--serve PORT_FILE``) ----------------------------


def serve(port_file):
    from luchen_care.exchange.signature import verify

    stats = {"requests": 0, "bad_signatures": 0, "keys": set()}
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # as any production server does; else 40 ms delayed-ACK stalls

        def log_message(self, *args):
            pass

        def _answer(self, status, payload):
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def do_POST(self):  # noqa: N802
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            good = verify(body, self.headers.get("X-Signature", ""), SECRET)
            with lock:
                stats["requests"] += 1
                stats["bad_signatures"] += 0 if good else 1
                stats["keys"].add(self.headers.get("Idempotency-Key"))
            self._answer(200 if good else 401, b'{"ok": true}' if good else b'{"error": "bad signature"}')

        def do_GET(self):  # noqa: N802
            with lock:
                answer = {
                    "requests": stats["requests"],
                    "bad_signatures": stats["bad_signatures"],
                    "distinct_keys": len(stats["keys"]),
                }
            self._answer(200, json.dumps(answer).encode())

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    Path(port_file).write_text(str(server.server_address[1]))
    signal.signal(signal.SIGTERM, lambda *a: threading.Thread(target=server.shutdown).start())
    server.serve_forever()


# --- Memory ---------------------------------------------------------------------------------


def cpu_seconds(pids):
    """User + system CPU time of ``pids`` (from /proc/<pid>/stat), in seconds."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def proc_status(pid):
    """VmRSS and VmHWM of ``pid`` in KiB (0 when it is gone)."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return 0, 0
    values = {}
    for line in text.splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0])
    return values.get("VmRSS", 0), values.get("VmHWM", 0)


def process_tree(pid):
    """``pid`` and its descendants."""
    pids, frontier = [pid], [pid]
    while frontier:
        parent = frontier.pop()
        try:
            children = Path(f"/proc/{parent}/task/{parent}/children").read_text().split()
        except FileNotFoundError:
            continue
        for child in map(int, children):
            pids.append(child)
            frontier.append(child)
    return pids


class MemorySampler(threading.Thread):
    """Samples the summed RSS of a process tree; keeps each process's VmHWM."""

    def __init__(self, pid, interval=0.2):
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.peak_rss_kib, self.hwm_kib = 0, {}
        self.stopped = threading.Event()

    def sample(self):
        total = 0
        for pid in process_tree(self.pid):
            rss, hwm = proc_status(pid)
            total += rss
            if hwm:
                self.hwm_kib[pid] = max(self.hwm_kib.get(pid, 0), hwm)
        self.peak_rss_kib = max(self.peak_rss_kib, total)

    def run(self):
        while not self.stopped.wait(self.interval):
            self.sample()


# --- Setup ----------------------------------------------------------------------------------


def check_loopback(url, what):
    host = urlsplit(url).hostname or "127.0.0.1"
    if host not in LOOPBACK:
        raise SystemExit(f"This benchmark runs on loopback only; {what} host is {host!r}")


def fill(count):
    """``count`` institutions and registrations, with webhook and inbox outbox rows; returns delivery ids."""
    from django.contrib.contenttypes.models import ContentType
    from django.db import transaction

    from luchen_care.exchange.models import Channel, PushDelivery
    from luchen_care.exchange.services import payload_for
    from registry import payloads
    from registry.models import Institution, Registration, Street
    from registry.selectors.policies import push_window_on
    from registry.services.push import REGISTRATION_TOPIC, registration_notice
    from registry.validators import uscc_check_character

    street = Street.objects.get(code="330302006")
    registration_type = ContentType.objects.get_for_model(Registration)
    today = date.today()
    rule = push_window_on(today)
    ids = []
    batch = 1000
    for start in range(0, count, batch):
        n = range(start, min(count, start + batch))
        with transaction.atomic():
            institutions = Institution.objects.bulk_create(
                [
                    Institution(
                        name=f"压测托育机构{i:06d}号",
                        credit_code=(body := f"91330302{i:09d}") + uscc_check_character(body),
                        kind="standalone",
                        ownership="private",
                        for_profit=True,
                        registration_authority="market_regulation",
                        street=street,
                        address=f"温州市鹿城区五马街道解放街{i}号",
                        legal_representative="王晓燕",
                        contact_phone="13800000000",
                    )
                    for i in n
                ]
            )
            registrations = Registration.objects.bulk_create(
                [
                    Registration(
                        institution=institution,
                        authority="market_regulation",
                        registration_number=f"BENCH{i:08d}",
                        registered_on=today,
                        kind="new",
                        source="api",
                        push_deadline=today + timedelta(days=7),
                        push_rule=rule,
                    )
                    for i, institution in zip(n, institutions, strict=True)
                ]
            )
            rows = []
            for registration in registrations:
                key = uuid.uuid4()
                notice = registration_notice(registration, key=key)
                label = payloads.registration_label(registration)
                rows += [
                    PushDelivery(
                        topic=REGISTRATION_TOPIC,
                        subject_type=registration_type,
                        subject_id=registration.pk,
                        subject_label=label,
                        channel=channel,
                        idempotency_key=key,
                        payload=payload_for(channel, notice),
                    )
                    for channel in (Channel.WEBHOOK, Channel.INBOX)
                ]
            deliveries = PushDelivery.objects.bulk_create(rows)
            ids.extend(d.pk for d in deliveries)
    return ids


def start_receiver(tmp):
    port_file = tmp / "receiver.port"
    proc = subprocess.Popen([sys.executable, __file__, "--serve", str(port_file)], cwd=BASE_DIR)
    deadline = time.monotonic() + 30
    while not port_file.exists() or not port_file.read_text():
        if time.monotonic() > deadline or proc.poll() is not None:
            proc.kill()
            raise SystemExit("the receiver did not start")
        time.sleep(0.05)
    return proc, int(port_file.read_text())


def start_worker(env, concurrency, queue, log):
    command = [
        sys.executable, "-m", "celery", "-A", "luchen_care", "worker", "--pool=prefork",
        f"--concurrency={concurrency}", "-Q", queue, "-n", f"{queue}@%h",
        "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "WARNING",
    ]  # fmt: skip
    handle = log.open("wb")
    proc = subprocess.Popen(
        command, cwd=BASE_DIR, env=env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True
    )
    deadline = time.monotonic() + 60
    # -l WARNING hides "ready."; the pool is up when the parent has its children.
    while len(process_tree(proc.pid)) < concurrency + 1:
        if time.monotonic() > deadline or proc.poll() is not None:
            stop(proc, group=True)
            raise SystemExit(f"the worker did not start:\n{log.read_text(errors='replace')[-2000:]}")
        time.sleep(0.1)
    time.sleep(1.0)  # let it connect to the broker
    return proc


def stop(proc, group=False, timeout=20):
    """SIGTERM ``proc`` (its whole process group if ``group``), then SIGKILL if it lingers."""
    if proc.poll() is not None:
        return
    kill = (lambda sig: os.killpg(proc.pid, sig)) if group else proc.send_signal
    try:
        kill(signal.SIGTERM)
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        kill(signal.SIGKILL)
        proc.wait(timeout=10)
    except ProcessLookupError:
        pass


def run(args):
    import tempfile

    import django
    import requests

    database_url = os.environ["DATABASE_URL"]
    redis_url = os.environ["REDIS_URL"]
    check_loopback(database_url, "DATABASE_URL")
    check_loopback(redis_url, "REDIS_URL")
    queue = f"bench-push-{uuid.uuid4().hex[:8]}"
    os.environ["CELERY_QUEUE"] = queue
    db_name, server_version = urlsplit(database_url).path.lstrip("/"), recreate_database(database_url)
    django.setup()

    from django.core.management import call_command
    from django.db import connection

    from luchen_care.celery import app
    from luchen_care.exchange.models import Channel, DeliveryStatus, PushDelivery
    from luchen_care.exchange.tasks import deliver_push

    call_command("migrate", verbosity=0, interactive=False)
    call_command("region", "add", "330302", verbosity=0)  # the benchmark's county and its 14 streets
    load_before = os.getloadavg()
    t0 = time.perf_counter()
    delivery_ids = fill(args.registrations)
    print(f"{db_name}: {args.registrations:,} registrations, {len(delivery_ids):,} outbox rows "
          f"written in {time.perf_counter() - t0:.1f}s")  # fmt: skip
    connection.close()

    tmp = Path(tempfile.mkdtemp(prefix="bench-push-"))
    receiver, port = start_receiver(tmp)
    worker = None
    try:
        push_url = f"http://127.0.0.1:{port}/exchange/registrations"
        env = {
            **os.environ,
            "HEALTH_BUREAU_PUSH_URL": push_url,
            "HEALTH_BUREAU_PUSH_SECRET": SECRET,
            "DINGTALK_WEBHOOK_URL": "",
            "CELERY_QUEUE": queue,
            "LOG_LEVEL": "WARNING",
        }
        worker = start_worker(env, args.concurrency, queue, tmp / "worker.log")
        sampler = MemorySampler(worker.pid)
        sampler.start()
        worker_cpu_at_start = cpu_seconds(process_tree(worker.pid))  # start-up is not the pipeline's cost

        t_start = time.perf_counter()
        with app.producer_or_acquire() as producer:
            for pk in delivery_ids:
                deliver_push.apply_async((pk,), producer=producer)
        t_published = time.perf_counter()
        print(f"published {len(delivery_ids):,} deliver_push messages in {t_published - t_start:.1f}s")

        webhook_rows = PushDelivery.objects.filter(channel=Channel.WEBHOOK)
        deadline = t_start + args.timeout
        done = last_print = 0
        progress_at, progress = time.perf_counter(), -1
        while True:
            done = PushDelivery.objects.filter(status=DeliveryStatus.DELIVERED).count()
            if done >= len(delivery_ids):
                break
            now = time.perf_counter()
            if now > deadline:
                raise SystemExit(f"timed out after {args.timeout}s with {done:,}/{len(delivery_ids):,} delivered")
            if done != progress:
                progress_at, progress = now, done
            elif now - progress_at > 60:
                queued = app.connection_for_read().default_channel.client.llen(queue)
                raise SystemExit(
                    f"stalled at {done:,}/{len(delivery_ids):,} for 60 s with {queued} messages queued "
                    "(did something FLUSHDB this Redis database? use a database of your own)"
                )
            if now - last_print >= 5:
                print(f"  {done:,}/{len(delivery_ids):,} delivered after {now - t_start:.0f}s")
                last_print = now
            time.sleep(0.25)
        t_end = time.perf_counter()
        sampler.sample()
        sampler.stopped.set()
        last_webhook = max(webhook_rows.values_list("delivered_at", flat=True))
        first_webhook = min(webhook_rows.values_list("delivered_at", flat=True))
        stats = requests.get(f"http://127.0.0.1:{port}/stats", timeout=10).json()
        failed = PushDelivery.objects.exclude(status=DeliveryStatus.DELIVERED).count()
        attempts = sum(PushDelivery.objects.values_list("attempts", flat=True))
        _, receiver_hwm = proc_status(receiver.pid)
        worker_hwm = dict(sampler.hwm_kib)
        worker_cpu = cpu_seconds(process_tree(worker.pid)) - worker_cpu_at_start
        receiver_cpu = cpu_seconds([receiver.pid])
    finally:
        if worker is not None:
            stop(worker, group=True)
        stop(receiver)
        import redis

        client = redis.Redis.from_url(redis_url)
        client.delete(queue, *[f"{queue}\x06\x16{p}" for p in (3, 6, 9)])
        client.close()

    wall = t_end - t_start
    result = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "postgresql": server_version,
            "load_average_before": [round(x, 2) for x in load_before],
            "load_average_after": [round(x, 2) for x in os.getloadavg()],
        },
        "settings": {
            "registrations": args.registrations,
            "deliveries": len(delivery_ids),
            "worker": f"prefork -c {args.concurrency}, prefetch multiplier 1, acks_late",
            "broker": "redis (loopback)",
            "receiver": "http.server ThreadingHTTPServer subprocess on 127.0.0.1, verifies every signature",
            "DJANGO_DEBUG": os.environ.get("DJANGO_DEBUG"),
        },
        "publish_seconds": round(t_published - t_start, 2),
        "wall_seconds": round(wall, 2),
        "registrations_per_second": round(args.registrations / wall, 1),
        "deliveries_per_second": round(len(delivery_ids) / wall, 1),
        "webhook_delivered_span_seconds": round((last_webhook - first_webhook).total_seconds(), 2),
        "receiver": stats,
        "not_delivered": failed,
        "attempts": attempts,
        "worker_peak_rss_total_mib": round(sampler.peak_rss_kib / 1024, 1),
        "worker_vmhwm_mib": sorted((round(v / 1024, 1) for v in worker_hwm.values()), reverse=True),
        "receiver_vmhwm_mib": round(receiver_hwm / 1024, 1),
        "worker_cpu_seconds": round(worker_cpu, 1),
        "worker_cpu_ms_per_delivery": round(worker_cpu * 1000 / len(delivery_ids), 2),
        "receiver_cpu_seconds": round(receiver_cpu, 1),
    }
    print()
    print(f"{args.registrations:,} registrations ({len(delivery_ids):,} deliveries: webhook + inbox), "
          f"worker prefork -c {args.concurrency}, {os.cpu_count()} CPUs")  # fmt: skip
    print(f"  end-to-end wall time     {wall:8.1f} s (first publish → last row delivered)")
    print(f"  throughput               {result['registrations_per_second']:8.1f} registrations/s "
          f"({result['deliveries_per_second']:.1f} deliveries/s)")  # fmt: skip
    print(f"  receiver                 {stats['requests']:,} requests, {stats['distinct_keys']:,} distinct keys, "
          f"{stats['bad_signatures']} bad signatures")  # fmt: skip
    print(f"  worker peak RSS (sum)    {result['worker_peak_rss_total_mib']:8.1f} MiB; "
          f"VmHWM per process {result['worker_vmhwm_mib']} MiB")  # fmt: skip
    print(f"  receiver VmHWM           {result['receiver_vmhwm_mib']:8.1f} MiB")
    per_delivery = result["worker_cpu_ms_per_delivery"]
    print(f"  worker CPU               {worker_cpu:8.1f} s ({per_delivery:.2f} ms per delivery; "
          f"receiver {receiver_cpu:.1f} s)")  # fmt: skip
    print(f"  load average             before {load_before[0]:.2f}, after {os.getloadavg()[0]:.2f} (1 min)")
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    out = OUT_DIR / "push_registrations.json"
    out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n")
    print(f"written to {out.relative_to(BASE_DIR)}")
    if stats["requests"] < args.registrations or stats["bad_signatures"] or failed:
        raise SystemExit("some pushes were lost, failed or badly signed")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--registrations", type=int, default=10_000, help="how many (default 10000)")
    parser.add_argument("--concurrency", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--timeout", type=int, default=900, help="give up after this many seconds (default 900)")
    parser.add_argument("--serve", metavar="PORT_FILE", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve)
        return
    if not (1 <= args.registrations <= 100_000 and 1 <= args.concurrency <= 16 and 10 <= args.timeout <= 3600):
        parser.error("--registrations 1..100000, --concurrency 1..16, --timeout 10..3600")
    os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    if not os.environ.get("REDIS_URL"):
        parser.error("set REDIS_URL (e.g. redis://127.0.0.1:6379/0): the worker needs a real broker")
    # Production-like: no query log (DEBUG off), persistent connections, quiet logs.
    os.environ.setdefault("DJANGO_DEBUG", "false")
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-secret-key-not-for-production-0123456789abcdef")
    os.environ.setdefault("DATABASE_CONN_MAX_AGE", "60")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ["DJANGO_SETTINGS_MODULE"] = "luchen_care.settings"
    run(args)


if __name__ == "__main__":
    main()
