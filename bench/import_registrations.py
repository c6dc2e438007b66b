"""Benchmark: a 5,000-row registration workbook through the real import path, with a real Celery worker.

Run from the repository root, with PostgreSQL and Redis on 127.0.0.1 (``make bench-import``)::

    .venv/bin/python bench/import_registrations.py [--sizes 500 5000]

What happens, for each size (default 500 and 5,000 rows):
1. The bench database (``DATABASE_URL``, default ``postgres://postgres@127.0.0.1:5432/lucheng_bench_import``;
   its name must contain "bench", its host must be 127.0.0.1) is dropped, recreated and migrated
   once; Redis is ``REDIS_URL`` (default ``redis://127.0.0.1:6379/11``), on a queue of this run's own.
2. A real worker starts (``celery -A luchen_care worker --pool=prefork -c 2``).
3. **Upload**: a registration authority's user posts the workbook to the admin's import page
   through the Django test client (the request the browser sends); its time is the upload time
   (target < 2 s). It answers with a redirect to the job's page.
4. **Whole file**: the bench polls the job's JSON status (as the page does) until the job has
   finished; upload start to finished is the whole-file time (target < 20 s). Then it waits until
   the worker has delivered every push the import enqueued on commit (reported, not targeted).
5. **Queries per row**: the same import kind runs once more in this process, on fresh rows of the
   same size (``import_job_run``, the code the worker runs), with every query counted.
6. **Baseline**: the same rows, read from the same workbook with openpyxl and written with a raw
   ``bulk_create`` of institutions and registrations in one transaction (no validation, no history,
   no outbox).

Printed, and written with the machine's description to ``bench/out/import_registrations.json``
(and a copy named by the time of the run). See ``bench/README.md``.
"""

import argparse
import datetime
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from io import BytesIO
from pathlib import Path
from urllib.parse import urlsplit

from benchlib import machine, recreate_database

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/lucheng_bench_import"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/11"
OUT_DIR = BASE_DIR / "bench" / "out"
TARGETS = {"upload_seconds": 2.0, "whole_file_seconds": 20.0}


def refuse_unless_bench(database_url, redis_url):
    db = urlsplit(database_url)
    if db.scheme not in ("postgres", "postgresql", "pgsql"):
        raise SystemExit(f"DATABASE_URL must point at PostgreSQL, not {db.scheme!r}")
    for url, what in ((database_url, "DATABASE_URL"), (redis_url, "REDIS_URL")):
        host = urlsplit(url).hostname
        if host != "127.0.0.1":
            raise SystemExit(f"This benchmark runs on 127.0.0.1 only; {what} host is {host!r}")
    name = db.path.lstrip("/")
    if "bench" not in name:
        raise SystemExit(f"The bench database is dropped and recreated: its name must contain 'bench' ({name!r})")
    return name


def workbook(first, count):
    """A filled-in template of ``count`` new registrations, numbered from ``first``."""
    from openpyxl import Workbook

    from registry.imports import COLUMNS, DATA_SHEET
    from registry.validators import uscc_check_character

    streets = ["五马街道", "330302024", "南汇街道", "七都街道"]
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(DATA_SHEET)
    ws.append([header for _n, header, _w, _note in COLUMNS])
    for n in range(first, first + count):
        body = f"91330302{n:09d}A"[:17]
        ws.append(
            [
                "市场监管局",
                f"BENCH-{n:08d}",
                datetime.date(2026, 1, 5) + datetime.timedelta(days=n % 300),
                "新设登记",
                body + uscc_check_character(body),
                f"鹿城区基准托育中心{n}号",
                streets[n % len(streets)],
                f"温州市鹿城区解放街{n}号",
                "王晓燕",
                "",
            ]
        )
    buffer = BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def start_worker(env, queue, log, concurrency=2):
    command = [
        sys.executable, "-m", "celery", "-A", "luchen_care", "worker", "--pool=prefork",
        f"--concurrency={concurrency}", "-Q", queue, "-n", f"{queue}@%h",
        "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "INFO",
    ]  # fmt: skip
    handle = log.open("wb")
    proc = subprocess.Popen(
        command, cwd=BASE_DIR, env=env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True
    )
    deadline = time.monotonic() + 60
    while b" ready." not in log.read_bytes():
        if time.monotonic() > deadline or proc.poll() is not None:
            stop(proc)
            raise SystemExit(f"the worker did not start:\n{log.read_text(errors='replace')[-2000:]}")
        time.sleep(0.1)
    return proc


def stop(proc):
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    except ProcessLookupError:
        pass


def upload_through_the_worker(client, data, timeout):
    """Post the workbook to the admin's import page; poll the job's JSON until it has finished."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    t0 = time.perf_counter()
    response = client.post(
        "/admin/registry/registration/import/", {"file": SimpleUploadedFile("registrations.xlsx", data)}
    )
    t_upload = time.perf_counter() - t0
    if response.status_code != 302 or not response["Location"].startswith("/imports/"):
        raise SystemExit(f"the upload did not start a background job: {response.status_code}")
    status_url = response["Location"] + "status/"
    samples = []
    while True:
        status = client.get(status_url).json()
        samples.append((round(time.perf_counter() - t0, 2), status["status"], status["percent"]))
        if status["finished"]:
            break
        if time.perf_counter() - t0 > timeout:
            raise SystemExit(f"timed out after {timeout}s: {status}")
        time.sleep(0.2)
    t_total = time.perf_counter() - t0
    return t_upload, t_total, status, samples, response["Location"]


class QueryCounter:
    """Counts every query on a connection (``execute_wrapper``; no cap, unlike the debug log)."""

    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def queries_in_process(user, data):
    """The same import, run in this process (``import_job_run``), with every query counted."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import connection
    from django.test.utils import override_settings

    from luchen_care.core.imports.services import import_start
    from registry.imports import REGISTRATION_IMPORT

    counter = QueryCounter()
    with override_settings(IMPORT_BACKGROUND_ROWS=10**9), connection.execute_wrapper(counter):
        t0 = time.perf_counter()
        job = import_start(kind=REGISTRATION_IMPORT, actor=user, upload=SimpleUploadedFile("registrations.xlsx", data))
        seconds = time.perf_counter() - t0
    job.refresh_from_db()
    if job.status != "imported":
        raise SystemExit(f"the in-process import did not import: {job.report}")
    return counter.count, seconds


def raw_bulk_create(data):
    """The baseline: read the same workbook, bulk_create its institutions and registrations."""
    from django.db import connection, transaction
    from openpyxl import load_workbook

    from luchen_care.workdays.calendar import Calendar, working_day_deadline
    from registry.imports import DATA_SHEET
    from registry.models import Institution, PushWindowPolicy, Registration, Street

    streets = {s.name: s for s in Street.objects.all()} | {s.code: s for s in Street.objects.all()}
    rule = PushWindowPolicy.objects.order_by("-effective_from").first()
    t0 = time.perf_counter()
    counter = QueryCounter()
    with connection.execute_wrapper(counter):
        wb = load_workbook(BytesIO(data), read_only=True, data_only=True)
        rows = list(wb[DATA_SHEET].iter_rows(min_row=2, values_only=True))
        wb.close()
        institutions, registrations = [], []
        for values in rows:
            registered_on = values[2].date()
            institutions.append(
                Institution(
                    name=values[5],
                    credit_code=values[4],
                    street=streets[str(values[6])],
                    address=values[7],
                    legal_representative=values[8],
                    registration_authority="market_regulation",
                    registered_on=registered_on,
                )
            )
        calendar = Calendar(2026, 2027)  # the rows' years: one read of the overrides, as the import does
        with transaction.atomic():
            Institution.objects.bulk_create(institutions, batch_size=500)
            for values, institution in zip(rows, institutions, strict=True):
                registered_on = values[2].date()
                deadline = working_day_deadline(registered_on, rule.working_days, calendar=calendar)
                registrations.append(
                    Registration(
                        institution=institution,
                        authority="market_regulation",
                        registration_number=values[1],
                        registered_on=registered_on,
                        kind="new",
                        data={},
                        source="excel",
                        push_deadline=deadline.date,
                        push_rule=rule,
                    )
                )
            Registration.objects.bulk_create(registrations, batch_size=500)
    return time.perf_counter() - t0, counter.count


def run(args):
    database_url = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    redis_url = os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL
    db_name = refuse_unless_bench(database_url, redis_url)
    queue = f"bench-import-{uuid.uuid4().hex[:8]}"
    media = Path(tempfile.mkdtemp(prefix="bench-import-media-"))
    os.environ.update(
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        CELERY_QUEUE=queue,
        DJANGO_MEDIA_ROOT=str(media),
        DJANGO_DEBUG="true",
        HEALTH_BUREAU_PUSH_URL="",
        DINGTALK_WEBHOOK_URL="",
        LOG_LEVEL="WARNING",
        DJANGO_SETTINGS_MODULE="luchen_care.settings",
    )
    os.environ.pop("CELERY_TASK_ALWAYS_EAGER", None)
    postgres_version = recreate_database(database_url)

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from luchen_care.accounts.models import Authority, Role, User
    from luchen_care.exchange.models import DeliveryStatus, PushDelivery
    from registry.models import Registration

    call_command("migrate", verbosity=0, interactive=False)
    call_command("region", "add", "330302", verbosity=0)  # the benchmark's county and its 14 streets
    user = User.objects.create_user(
        username="bench-market",
        password="bench-Lucheng-2026",
        is_staff=True,
        role=Role.REGISTRATION_AUTHORITY,
        authority=Authority.MARKET_REGULATION,
    )
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    connection.close()

    load_before = os.getloadavg()
    worker_log = media / "worker.log"
    worker = start_worker(dict(os.environ), queue, worker_log)
    results = []
    first = 1
    try:
        for size in args.sizes:
            data = workbook(first, size)
            first += size
            pushed_before = PushDelivery.objects.filter(status=DeliveryStatus.DELIVERED).count()
            t_upload, t_total, status, samples, page = upload_through_the_worker(client, data, args.timeout)
            imported = Registration.objects.filter(registration_number__startswith="BENCH-").count()
            t0 = time.perf_counter()
            while PushDelivery.objects.filter(status=DeliveryStatus.DELIVERED).count() - pushed_before < size:
                if time.perf_counter() - t0 > args.timeout:
                    break
                time.sleep(0.5)
            t_pushes = t_total + time.perf_counter() - t0

            fresh = workbook(first, size)
            first += size
            queries, in_process_seconds = queries_in_process(user, fresh)

            baseline_data = workbook(first, size)
            first += size
            baseline_seconds, baseline_queries = raw_bulk_create(baseline_data)
            row = {
                "rows": size,
                "upload_seconds": round(t_upload, 3),
                "whole_file_seconds": round(t_total, 2),
                "all_pushes_delivered_seconds": round(t_pushes, 2),
                "job_status": status["status"],
                "registrations_in_db": imported,
                "progress_samples": samples[:: max(1, len(samples) // 12)],
                "queries_in_process": queries,
                "queries_per_row": round(queries / size, 2),
                "in_process_seconds": round(in_process_seconds, 2),
                "bulk_create_seconds": round(baseline_seconds, 3),
                "bulk_create_queries": baseline_queries,
                "ratio_whole_file_to_bulk_create": round(t_total / baseline_seconds, 1),
                "ratio_in_process_to_bulk_create": round(in_process_seconds / baseline_seconds, 1),
            }
            results.append(row)
            print(
                f"{size:>6,} rows: upload {t_upload:.2f}s, whole file {t_total:.1f}s ({status['status']}), "
                f"pushes delivered {t_pushes:.1f}s; {queries:,} queries in process = {queries / size:.2f}/row "
                f"({in_process_seconds:.1f}s); raw bulk_create {baseline_seconds:.2f}s ({baseline_queries} queries); "
                f"whole file / bulk_create {t_total / baseline_seconds:.1f}×"
            )
    finally:
        stop(worker)
        import redis

        redis_client = redis.Redis.from_url(redis_url)
        redis_client.delete(queue, *[f"{queue}\x06\x16{p}" for p in (3, 6, 9)])
        redis_client.close()

    largest = max(results, key=lambda r: r["rows"])
    verdict = {
        "upload_under_2s": all(r["upload_seconds"] < TARGETS["upload_seconds"] for r in results),
        "whole_file_under_20s": largest["whole_file_seconds"] < TARGETS["whole_file_seconds"],
        "queries_per_row": {r["rows"]: r["queries_per_row"] for r in results},
    }
    report = {
        "when": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "machine": machine(postgres=postgres_version),
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "database": db_name,
        "targets": TARGETS,
        "results": results,
        "verdict": verdict,
    }
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    text = json.dumps(report, ensure_ascii=False, indent=2)
    (OUT_DIR / "import_registrations.json").write_text(text)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    (OUT_DIR / f"import_registrations-{stamp}.json").write_text(text)
    print(json.dumps({"machine": report["machine"], "verdict": verdict}, ensure_ascii=False))
    print(f"written to {OUT_DIR / 'import_registrations.json'}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[500, 5000])
    parser.add_argument("--timeout", type=float, default=300)
    run(parser.parse_args())


if __name__ == "__main__":
    main()
