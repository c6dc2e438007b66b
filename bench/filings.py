"""Benchmark: the bureau's review queue and the institution's portal workbench over 10,000 filings,
side by side with a baseline of 100 filings, in one run.

Run from the repository root, with PostgreSQL on loopback::

    .venv/bin/python bench/filings.py                # 10,000 against 100
    .venv/bin/python bench/filings.py --sizes 100 10000 --rounds 30

``DATABASE_URL`` (default ``postgres://postgres@127.0.0.1:5432/lucheng_bench_filings``) names the
base of the databases: one per size, ``<name>_<size>`` (``lucheng_bench_filings_100`` and
``lucheng_bench_filings_10000``), each a bench database (``institutions_api.check_bench_name``),
created and migrated if missing and filled once: as many institutions as filings (COPY, by
``institutions_api.fill``), one filing each with its eight sections and its steps, written with
``bulk_create`` (this measures reads: no history rows, no service). A second run reuses them;
``--reset`` drops and refills them.

Timed, through Django's test ``Client`` (the whole middleware stack, in-process) or in-process for
the selector, alternating between the sizes every round so drift affects both alike:

- **queue (selector)**: ``Filing.objects.reviewed_by(bureau).awaiting_bureau()`` with
  ``select_related("institution__street", "deadline_rule")``, ordered by the receipt deadline: its
  count and its first page of 100, as the review queue reads them;
- **queue (admin)**: ``GET /admin/registry/filing/`` as the health bureau (skipped, and said so,
  while that page answers 404);
- **portal workbench**: ``GET /portal/`` (``portal:home``) as an institution user whose filing was
  returned.

Reported per scenario and size: the median and p95 in milliseconds, the queries of one request
(counted apart, untimed), and the ratio of the large size to the baseline. Printed and written to
``bench/out/filings.json`` (and a copy named by the run's time). See ``bench/README.md``.
"""

import argparse
import json
import os
import random
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from benchlib import machine

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/lucheng_bench_filings")
os.environ.setdefault("DJANGO_DEBUG", "false")
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-secret-key-not-for-production-0123456789abcdef")
os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("DATABASE_CONN_MAX_AGE", "60")
os.environ.setdefault("LOG_LEVEL", "WARNING")
# The bureau's second factor is a check of the session, not what is measured; the bench signs in
# with force_login, which cannot type a TOTP code.
os.environ.setdefault("REQUIRE_2FA", "false")
os.environ["DJANGO_SETTINGS_MODULE"] = "luchen_care.settings"

from institutions_api import check_bench_name, drop_database, ensure_database, fill, percentile  # noqa: E402

OUT_DIR = BASE_DIR / "bench" / "out"
PAGE_SIZE = 100
ADMIN_PATH = "/admin/registry/filing/"
PORTAL_PATH = "/portal/"
#: Of every 20 filings: their status (most wait for the bureau, as a queue in a busy month).
STATUS_CYCLE = (
    ["submitted"] * 6
    + ["under_review"] * 4
    + ["resubmitted"] * 2
    + ["draft"] * 3
    + ["returned"] * 2
    + ["filed", "rejected", "withdrawn"]
)
SECTIONS = ("basic", "premises", "classes", "staff", "safety", "food", "fees", "commitment")


def database_url(base, size):
    parts = urlsplit(base)
    return urlunsplit(parts._replace(path=f"/{parts.path.lstrip('/')}_{size}"))


def use_database(name):
    """Point the default connection at database ``name`` (closed first; reopened on the next query)."""
    from django.contrib.contenttypes.models import ContentType
    from django.db import connections

    connections["default"].close()
    connections["default"].settings_dict["NAME"] = name
    ContentType.objects.clear_cache()


def fill_filings(size, seed=20261204):
    """One filing per institution, up to ``size`` filings, with sections and steps; returns the seconds taken."""
    from django.db import connection, transaction

    from luchen_care.workdays.calendar import Calendar, working_day_deadline
    from registry.models import Filing, FilingDeadlinePolicy, FilingSection, FilingTransition, Institution

    have = Filing.objects.count()
    if have >= size:
        return 0.0
    started = time.perf_counter()
    rng = random.Random(seed)
    rule = FilingDeadlinePolicy.objects.order_by("effective_from").first()
    today = date.today()
    calendar = Calendar(today.year - 1, today.year + 1)
    institutions = list(
        Institution.objects.filter(filings__isnull=True).order_by("pk").values_list("pk", "kind")[: size - have]
    )
    filings, steps = [], []
    now = datetime.now(UTC)
    for index, (pk, kind) in enumerate(institutions, start=have):
        status = STATUS_CYCLE[index % len(STATUS_CYCLE)]
        filing = Filing(
            institution_id=pk,
            kind="initial",
            review_body="education_bureau" if kind == "nursery_class" else "health_bureau",
            status=status,
            created_at=now,
            modified_at=now,
        )
        if status != "draft":
            day = today - timedelta(days=rng.randint(0, 30))
            receipt = working_day_deadline(day, rule.receipt_working_days, calendar=calendar)
            notice = working_day_deadline(day, rule.notice_working_days, calendar=calendar)
            filing.submitted_at = datetime(day.year, day.month, day.day, 2, 0, tzinfo=UTC)
            filing.clock_started_on, filing.deadline_rule = day, rule
            filing.receipt_deadline, filing.notice_deadline = receipt.date, notice.date
        if status == "filed":
            filing.number = f"{today.year}-330302-{index + 1:05d}"
        filings.append(filing)
    with transaction.atomic():
        Filing.objects.bulk_create(filings, batch_size=2000)
        sections = [
            FilingSection(
                filing=filing,
                key=key,
                position=position,
                status="not_started" if filing.status == "draft" and position > 2 else "complete",
                data={"note": "bench"},
            )
            for filing in filings
            for position, key in enumerate(SECTIONS)
        ]
        FilingSection.objects.bulk_create(sections, batch_size=5000)
        for filing in filings:
            steps.append(FilingTransition(filing=filing, name="open", source="", target="draft"))
            if filing.status != "draft":
                steps.append(FilingTransition(filing=filing, name="submit", source="draft", target=filing.status))
        FilingTransition.objects.bulk_create(steps, batch_size=5000)
    if not connection.in_atomic_block:  # (a test's transaction cannot vacuum)
        with connection.cursor() as cur:  # the state autovacuum reaches: statistics and a visibility map
            for table in ("registry_filing", "registry_filingsection", "registry_filingtransition"):
                cur.execute(f"VACUUM ANALYZE {table}")
    return time.perf_counter() - started


def bench_users():
    """The health bureau's reviewer (Lucheng) and an institution user whose filing was returned."""
    from luchen_care.accounts.models import Role, User
    from luchen_care.regions.models import County
    from registry.models import Filing

    county = County.objects.get(code="330302")
    health, _created = User.objects.get_or_create(
        username="bench_health",
        defaults={"role": Role.HEALTH_BUREAU, "county": county, "is_staff": True, "first_name": "bench"},
    )
    filing = Filing.objects.filter(status="returned").order_by("pk").first()
    institution_user, _created = User.objects.get_or_create(
        username="bench_institution",
        defaults={"role": Role.INSTITUTION, "institution_id": filing.institution_id, "first_name": "bench"},
    )
    return health, institution_user


def queue_page(user):
    """What the review queue reads: the count and the first page of the bureau's filings awaiting it."""
    from registry.models import Filing

    queue = (
        Filing.objects.reviewed_by(user)
        .awaiting_bureau()
        .select_related("institution__street", "deadline_rule")
        .order_by("receipt_deadline", "pk")
    )
    count = queue.count()
    shown = [  # what a row shows
        (f.institution.name, f.institution.street.name, f.receipt_deadline, f.deadline_rule.receipt_working_days)
        for f in queue[:PAGE_SIZE]
    ]
    return count, len(shown)


def run(args):
    import warnings

    import django

    warnings.filterwarnings("ignore", message="No directory at")
    base = os.environ["DATABASE_URL"]
    check_bench_name(urlsplit(base).path.lstrip("/"))
    urls = {size: database_url(base, size) for size in args.sizes}
    if args.reset:
        for url in urls.values():
            drop_database(url)
    versions = {size: ensure_database(url) for size, url in urls.items()}
    django.setup()

    from django.conf import settings

    # The pages' static URLs without a collectstatic run: the plain storage instead of the manifest's
    # (a name joined to STATIC_URL instead of a dictionary lookup; nothing else differs).
    from django.test.utils import override_settings

    override_settings(
        STORAGES={
            **settings.STORAGES,
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        }
    ).enable()

    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from registry.models import Filing, FilingSection

    users, clients, counts = {}, {}, {}
    for size, (name, _version) in versions.items():
        use_database(name)
        call_command("migrate", verbosity=0, interactive=False)
        call_command("region", "add", "330302", verbosity=0)
        added, institution_seconds = fill(size)
        seconds = fill_filings(size)
        counts[size] = {"filings": Filing.objects.count(), "sections": FilingSection.objects.count()}
        print(
            f"{name}: {counts[size]['filings']:,} filings, {counts[size]['sections']:,} sections "
            f"(added {added:,} institutions in {institution_seconds:.1f}s, filings in {seconds:.1f}s)"
        )
        users[size] = bench_users()
        health, institution_user = users[size]
        clients[size] = {"health": Client(), "institution": Client()}
        clients[size]["health"].force_login(health)
        clients[size]["institution"].force_login(institution_user)

    def request(size, scenario):
        if scenario == "queue (selector)":
            return queue_page(users[size][0])
        client = clients[size]["health" if scenario == "queue (admin)" else "institution"]
        response = client.get(ADMIN_PATH if scenario == "queue (admin)" else PORTAL_PATH)
        if response.status_code != 200:
            raise SystemExit(f"{scenario} at {size}: {response.status_code}")
        return len(response.content)

    scenarios = ["queue (selector)", "queue (admin)", "portal workbench"]
    use_database(versions[args.sizes[0]][0])
    if clients[args.sizes[0]]["health"].get(ADMIN_PATH).status_code == 404:
        print(f"{ADMIN_PATH} answers 404 (no Filing admin on this tree yet): the admin queue is skipped")
        scenarios.remove("queue (admin)")

    load_before = os.getloadavg()
    results = []
    for scenario in scenarios:
        times = {size: [] for size in args.sizes}
        queries = {}
        for size in args.sizes:
            use_database(versions[size][0])
            for _ in range(args.warmup):
                request(size, scenario)
            with CaptureQueriesContext(connection) as captured:
                request(size, scenario)
            queries[size] = len(captured.captured_queries)
        for i in range(args.rounds):
            order = args.sizes if i % 2 == 0 else list(reversed(args.sizes))
            for size in order:
                use_database(versions[size][0])
                request(size, scenario)  # untimed: the connection and caches warm again after the switch
                t0 = time.perf_counter()
                request(size, scenario)
                times[size].append((time.perf_counter() - t0) * 1000)
        row = {"scenario": scenario, "sizes": {}}
        for size in args.sizes:
            row["sizes"][size] = {
                "median_ms": round(statistics.median(times[size]), 2),
                "p95_ms": round(percentile(times[size], 95), 2),
                "queries": queries[size],
            }
        small, large = min(args.sizes), max(args.sizes)
        row["ratio_median"] = round(row["sizes"][large]["median_ms"] / row["sizes"][small]["median_ms"], 2)
        row["queries_equal"] = queries[small] == queries[large]
        results.append(row)
    connection.close()
    load_after = os.getloadavg()

    small, large = min(args.sizes), max(args.sizes)
    print()
    print(f"{args.rounds} timed requests per scenario and size after {args.warmup} warm-up (ms)")
    header = (
        f"{'scenario':<18} {f'{small:,} med':>10} {'p95':>8} {'queries':>7} "
        f"{f'{large:,} med':>11} {'p95':>8} {'queries':>7} {'ratio':>6}"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        s, g = r["sizes"][small], r["sizes"][large]
        print(
            f"{r['scenario']:<18} {s['median_ms']:>10.2f} {s['p95_ms']:>8.2f} {s['queries']:>7} "
            f"{g['median_ms']:>11.2f} {g['p95_ms']:>8.2f} {g['queries']:>7} {r['ratio_median']:>5.2f}×"
        )
    flat = all(r["queries_equal"] for r in results)
    print(
        "the query counts do not grow with the number of filings"
        if flat
        else "QUERY COUNTS GROW with the number of filings"
    )
    print(f"{os.cpu_count()} CPUs; load average {load_before[0]:.2f} before the timings, {load_after[0]:.2f} after")

    OUT_DIR.mkdir(parents=True, exist_ok=True)
    when = datetime.now(UTC)
    report = (
        json.dumps(
            {
                "when": when.isoformat(timespec="seconds"),
                "machine": {
                    **machine(),
                    "postgresql": versions[small][1],
                    "loadavg_1min_before": round(load_before[0], 2),
                    "loadavg_1min_after": round(load_after[0], 2),
                },
                "databases": {size: versions[size][0] for size in args.sizes},
                "rows": counts,
                "warmup": args.warmup,
                "rounds": args.rounds,
                "skipped": [] if "queue (admin)" in scenarios else ["queue (admin): 404"],
                "scenarios": results,
                "queries_flat": flat,
            },
            ensure_ascii=False,
            indent=2,
        )
        + "\n"
    )
    out = OUT_DIR / "filings.json"
    out.write_text(report)
    kept = OUT_DIR / f"filings-{when:%Y%m%dT%H%M%SZ}.json"
    kept.write_text(report)
    print(f"written to {out.relative_to(BASE_DIR)} and {kept.relative_to(BASE_DIR)}")
    return 0 if flat else 1


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs=2, default=[100, 10_000], help="baseline and large (100 10000)")
    parser.add_argument("--rounds", type=int, default=30, help="timed requests per scenario and size (default 30)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed requests first (default 3)")
    parser.add_argument("--reset", action="store_true", help="drop and refill the bench databases first")
    args = parser.parse_args()
    if not (1 <= args.rounds <= 1000 and 0 <= args.warmup <= 100 and all(1 <= s <= 200_000 for s in args.sizes)):
        parser.error("--rounds 1..1000, --warmup 0..100, --sizes 1..200000")
    if args.sizes[0] == args.sizes[1]:
        parser.error("--sizes: two different sizes")
    args.sizes = sorted(args.sizes)
    sys.exit(run(args))


if __name__ == "__main__":
    main()
