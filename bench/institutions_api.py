"""Benchmark: ``GET /api/v1/institutions/`` against a minimal raw-SQL view, on 100,000 institutions.

Run from the repository root, with PostgreSQL on loopback::

    .venv/bin/python bench/institutions_api.py

``DATABASE_URL`` defaults to ``postgres://postgres@127.0.0.1:5432/lucheng_bench``; the
database is created if missing, migrated, and filled up to ``--institutions`` rows
(100,000 by default) with COPY. Then, in the same run, every scenario is requested
through Django's test ``Client`` (the full middleware, DRF, token authentication,
throttling, django-filter, ordering and pagination stack, in-process: no sockets) for
the product API and for a raw-SQL view defined in this file, which returns the same
JSON built by PostgreSQL (``json_build_object`` / ``json_agg``). Both answers are
compared for equality before anything is timed.

Results are printed as a table and written, with the machine's description, to
``bench/out/institutions_api.json`` (the latest run) and ``bench/out/institutions_api-<UTC time>.json``
(every run kept). The targets: every scenario's median at most 3× the raw view's, and a
geometric mean of those ratios at most 2.5×; the run says whether they hold. See ``bench/README.md``.
"""

import argparse
import hashlib
import io
import json
import math
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

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/lucheng_bench"
os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
# Production-like settings: no query logging (DEBUG off), persistent connections.
os.environ.setdefault("DJANGO_DEBUG", "false")
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-secret-key-not-for-production-0123456789abcdef")
os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("DATABASE_CONN_MAX_AGE", "60")
# The throttle stays in the stack (it still reads and writes the cache) but must not trip.
os.environ.setdefault("API_THROTTLE_USER", "1000000/minute")
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ["DJANGO_SETTINGS_MODULE"] = "luchen_care.settings"

OUT_DIR = BASE_DIR / "bench" / "out"
PAGE_SIZE = 100
API_PATH = "/api/v1/institutions/"
RAW_PATH = "/bench/raw/institutions/"
WUMA = "330302006"
SONGTAI = "330302026"
KINDS_2 = ["standalone", "community"]
MAX_RATIO = 3.0  # every scenario: API median ÷ raw median
MAX_GEOMEAN = 2.5  # the geometric mean of those ratios


def check_bench_name(name):
    """Refuse a database that is not a bench database: the run fills it and adds users.

    Its name must contain ``bench`` and must not look like a test run's (``test…``), a helper's
    (``helper_…``) or a timing run's (``time…``) database, which other people use at the same time.
    """
    if "bench" not in name or name.startswith(("test", "helper_", "time")):
        raise SystemExit(f"DATABASE_URL must name a bench database (containing 'bench'), not {name!r}")


def ensure_database(url):
    """Create the database named in ``url`` if it does not exist (connecting to ``postgres``)."""
    import psycopg2
    from psycopg2 import sql

    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql", "pgsql"):
        raise SystemExit(f"DATABASE_URL must point at PostgreSQL, not {parts.scheme!r}")
    host = parts.hostname or "127.0.0.1"
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit(f"This benchmark runs on loopback only; DATABASE_URL host is {host!r}")
    name = parts.path.lstrip("/")
    check_bench_name(name)
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    conn = psycopg2.connect(admin_url)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if cur.fetchone() is None:
                cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
                print(f"created database {name}")
            cur.execute("SHOW server_version")
            return name, cur.fetchone()[0]
    finally:
        conn.close()


def drop_database(url):
    import psycopg2
    from psycopg2 import sql

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    check_bench_name(name)  # --reset drops only a bench database
    conn = psycopg2.connect(urlunsplit(parts._replace(path="/postgres")))
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
            print(f"dropped database {name}")
    finally:
        conn.close()


# --- Fill -----------------------------------------------------------------------------

KINDS = ["standalone", "nursery_class", "employer", "community", "family"]
KIND_WEIGHTS = [35, 25, 10, 20, 10]
STATUSES = ["registered", "filed", "operating", "suspended", "closed"]
STATUS_WEIGHTS = [8, 10, 70, 5, 7]
AUTHORITIES = ["market_regulation", "civil_affairs", "establishment_office"]
DEMO_LEVELS = ["", "", "", "", "", "", "", "district", "city", "provincial"]
CLASS_TYPES = ["infant", "toddler", "older", "mixed"]  # alphabetical order is the API's order
CLASS_CAPACITY = {"infant": 10, "toddler": 15, "older": 20, "mixed": 18}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗郑"
GIVEN = ["晓燕", "建国", "丽华", "志强", "海燕", "伟", "敏", "静", "秀英", "俊杰"]
ROADS = ["解放街", "人民路", "府前街", "松台路", "蒲鞋市路", "车站大道", "学院路", "新城大道", "锦江路", "划龙桥路"]
BRANDS = ["小橙子", "爱贝", "童馨", "金色摇篮", "七彩", "小天使", "红黄蓝", "乐育", "启智", "瓯江"]
SUFFIX = {
    "standalone": "托育中心",
    "nursery_class": "幼儿园托班",
    "employer": "职工托育点",
    "community": "社区嵌入式托育点",
    "family": "家庭托育点",
}
USCC_PREFIXES = ["91", "92", "52", "12", "Y1"]  # companies, sole traders, NGOs, public units, others


def _copy_escape(value):
    if value is None:
        return r"\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    return str(value).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


def _copy_rows(rows):
    buf = io.StringIO()
    for row in rows:
        buf.write("\t".join(_copy_escape(v) for v in row))
        buf.write("\n")
    buf.seek(0)
    return buf


def fill(target, seed=20261128):
    """Top the registry up to ``target`` institutions with COPY; returns (added, seconds).

    Bench data only: no history rows (``HistoricalInstitution``) are written for the fill,
    and model validation is replaced by generating valid values (the credit codes carry a
    correct check character from ``registry.validators.uscc_check_character``).
    """
    from django.db import connection, transaction

    from registry.models import Institution, Street
    from registry.validators import uscc_check_character

    existing = Institution.objects.count()
    missing = target - existing
    if missing <= 0:
        return 0, 0.0
    t0 = time.perf_counter()
    rng = random.Random(seed + existing)
    streets = list(Street.objects.order_by("code").values_list("pk", "code", "name"))
    if len(streets) != 14:
        raise SystemExit(f"expected Lucheng's 14 streets after region add, found {len(streets)}")
    street_weights = [14, 6, 9, 7, 9, 8, 6, 7, 8, 7, 6, 6, 4, 3]
    inst_cols = [
        "id", "created_at", "modified_at", "archived", "archived_on", "archived_reason", "name", "credit_code",
        "kind", "ownership", "for_profit", "inclusive", "registration_authority", "address", "legal_representative",
        "contact_phone", "approved_places", "demonstration_level", "livelihood_project", "status", "registered_on",
        "filed_on", "operating_since", "suspended_on", "closed_on", "head_office_id", "street_id",
    ]  # fmt: skip
    class_cols = ["institution_id", "class_type", "class_count", "capacity"]
    now = datetime.now(UTC)
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SELECT COALESCE(MAX(id), 0) FROM registry_institution")
        start_id = cur.fetchone()[0] + 1
        cur.execute("SELECT credit_code FROM registry_institution")
        taken = {row[0] for row in cur.fetchall()}
        inst_rows, class_rows = [], []
        serial = existing
        heads = []
        for offset in range(missing):
            pk = start_id + offset
            serial += 1
            while True:
                body = f"{rng.choice(USCC_PREFIXES)}330302{rng.randrange(10**9):09d}"
                code = body + uscc_check_character(body)
                if code not in taken:
                    taken.add(code)
                    break
            kind = rng.choices(KINDS, KIND_WEIGHTS)[0]
            street_pk, _street_code, street_name = rng.choices(streets, street_weights)[0]
            status = rng.choices(STATUSES, STATUS_WEIGHTS)[0]
            public = kind == "nursery_class" and rng.random() < 0.5 or rng.random() < 0.1
            registered = date(2019, 1, 1) + timedelta(days=rng.randrange(2000))
            filed = registered + timedelta(days=rng.randrange(10, 90)) if status != "registered" else None
            operating = filed + timedelta(days=rng.randrange(10, 120)) if status in STATUSES[2:] and filed else None
            suspended = operating + timedelta(days=rng.randrange(30, 400)) if status == "suspended" else None
            closed = (operating or registered) + timedelta(days=rng.randrange(30, 600)) if status == "closed" else None
            created = now - timedelta(days=rng.randrange(1, 1500), seconds=rng.randrange(86400))
            created = created.replace(microsecond=rng.randrange(1, 1_000_000))
            modified = created + timedelta(days=rng.randrange(0, 200), microseconds=rng.randrange(1, 999_999))
            head = rng.choice(heads) if heads and kind != "nursery_class" and rng.random() < 0.05 else None
            if kind == "standalone" and rng.random() < 0.02:
                heads.append(pk)
            places = rng.choice([20, 30, 40, 50, 60, 80, 100, 120, 150])
            name = f"{street_name}{rng.choice(BRANDS)}{SUFFIX[kind]}{serial:06d}号"
            inst_rows.append(
                [
                    pk, created, modified, status == "closed", closed and now, "关闭" if closed else "", name, code,
                    kind, "public" if public else "private", not public and rng.random() < 0.6,
                    public or rng.random() < 0.4, "" if kind == "nursery_class" else rng.choice(AUTHORITIES),
                    f"温州市鹿城区{street_name}{rng.choice(ROADS)}{rng.randrange(1, 400)}号",
                    rng.choice(SURNAMES) + rng.choice(GIVEN), f"1{rng.randrange(3, 10)}{rng.randrange(10**9):09d}",
                    places, rng.choice(DEMO_LEVELS), rng.random() < 0.15, status, registered, filed, operating,
                    suspended, closed, head, street_pk,
                ]
            )  # fmt: skip
            for class_type in sorted(rng.sample(CLASS_TYPES, rng.randint(1, 3))):
                count = rng.randint(1, 4)
                class_rows.append([pk, class_type, count, count * CLASS_CAPACITY[class_type]])
        cur.copy_expert(f"COPY registry_institution ({', '.join(inst_cols)}) FROM STDIN", _copy_rows(inst_rows))
        cur.copy_expert(f"COPY registry_institutionclass ({', '.join(class_cols)}) FROM STDIN", _copy_rows(class_rows))
        cur.execute(
            "SELECT setval(pg_get_serial_sequence('registry_institution', 'id'), "
            "(SELECT MAX(id) FROM registry_institution))"
        )
    with connection.cursor() as cur:  # the state autovacuum reaches: statistics and a visibility map
        cur.execute("VACUUM ANALYZE registry_institution")
        cur.execute("VACUUM ANALYZE registry_institutionclass")
    return missing, time.perf_counter() - t0


def bench_users():
    """A health-bureau user (sees everything) and a 五马 street-office user, with API tokens."""
    from luchen_care.accounts.models import ApiToken, Role, User
    from luchen_care.accounts.services import api_token_issue
    from registry.models import Street

    users = {}
    wuma = Street.objects.select_related("county").get(code=WUMA)
    for username, role, street in (
        ("bench_health", Role.HEALTH_BUREAU, None),  # the county's bureau: every filled institution
        ("bench_wuma", Role.STREET_OFFICE, wuma),
    ):
        user, _ = User.objects.update_or_create(
            username=username,
            defaults={"role": role, "street": street, "county": wuma.county, "is_active": True, "is_staff": True},
        )
        ApiToken.objects.filter(user=user, name="bench").delete()  # its key is not stored: a new one per run
        users[username] = api_token_issue(actor=user, user=user, name="bench").key
    return users


# --- The raw baseline ----------------------------------------------------------------------

RAW_ORDERINGS = {"id": "i.id", "-id": "i.id DESC", "name": "i.name", "-name": "i.name DESC"}

# One institution as the API shows it. Timestamps in settings.TIME_ZONE (Asia/Shanghai, no DST) with
# microseconds, as DRF writes them; the fill gives every timestamp non-zero microseconds, and the run
# compares both views' JSON before timing, so a difference in format would stop it.
RAW_ROW = """json_build_object(
    'id', i.id, 'name', i.name, 'credit_code', i.credit_code, 'kind', i.kind, 'ownership', i.ownership,
    'for_profit', i.for_profit, 'inclusive', i.inclusive, 'registration_authority', i.registration_authority,
    'street', s.code, 'street_name', s.name, 'address', i.address, 'legal_representative', i.legal_representative,
    'contact_phone', i.contact_phone, 'approved_places', i.approved_places, 'head_office', i.head_office_id,
    'demonstration_level', i.demonstration_level, 'livelihood_project', i.livelihood_project, 'status', i.status,
    'registered_on', i.registered_on, 'filed_on', i.filed_on, 'operating_since', i.operating_since,
    'suspended_on', i.suspended_on, 'closed_on', i.closed_on, 'archived', i.archived,
    'classes', COALESCE((
        SELECT json_agg(json_build_object(
            'class_type', c.class_type, 'class_count', c.class_count, 'capacity', c.capacity) ORDER BY c.class_type)
        FROM registry_institutionclass c WHERE c.institution_id = i.id), '[]'::json),
    'created_at', to_char(i.created_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD"T"HH24:MI:SS.US"+08:00"'),
    'modified_at', to_char(i.modified_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD"T"HH24:MI:SS.US"+08:00"')
)"""


def raw_institutions(request):
    """The floor: one token lookup, one SQL statement that builds the page's JSON, no ORM."""
    from django.db import connection
    from django.http import HttpResponse, JsonResponse
    from rest_framework.utils.urls import remove_query_param, replace_query_param

    auth = request.META.get("HTTP_AUTHORIZATION", "").split()
    if len(auth) != 2 or auth[0] != "Token":
        return JsonResponse({"detail": "unauthenticated"}, status=401)
    with connection.cursor() as cur:
        cur.execute(
            "SELECT u.role, u.street_id, u.is_superuser FROM accounts_apitoken t "
            "JOIN accounts_user u ON u.id = t.user_id WHERE t.key_hash = %s AND u.is_active "
            "AND t.revoked_at IS NULL AND t.expires_at > now()",
            [hashlib.sha256(auth[1].encode()).hexdigest()],
        )
        row = cur.fetchone()
    if row is None:
        return JsonResponse({"detail": "unauthenticated"}, status=401)
    role, street_id, superuser = row
    where, params = [], []
    if superuser or role == "health_bureau":
        pass
    elif role == "street_office" and street_id:
        where.append("i.street_id = %s")
        params.append(street_id)
    else:
        return JsonResponse({"detail": "the raw baseline only knows the bench roles"}, status=403)
    q = request.GET
    if q.get("street"):
        where.append("i.street_id = (SELECT id FROM registry_street WHERE code = %s)")
        params.append(q["street"])
    for field in ("kind", "status"):
        values = [v for v in q.getlist(field) if v]
        if values:
            where.append(f"i.{field} = ANY(%s)")
            params.append(values)
    order = RAW_ORDERINGS[q.get("ordering", "id")]
    page = int(q.get("page", 1))
    size = int(q.get("page_size", 20))
    where_sql = " AND ".join(where) or "TRUE"
    sql = f"""
        SELECT (SELECT count(*) FROM registry_institution i WHERE {where_sql}),
               COALESCE(json_agg({RAW_ROW} ORDER BY {order}), '[]'::json)::text
        FROM (SELECT * FROM registry_institution i WHERE {where_sql} ORDER BY {order} LIMIT %s OFFSET %s) i
        JOIN registry_street s ON s.id = i.street_id
    """
    with connection.cursor() as cur:
        cur.execute(sql, params + params + [size, (page - 1) * size])
        count, results = cur.fetchone()
    url = request.build_absolute_uri()
    nxt = replace_query_param(url, "page", page + 1) if page * size < count else None
    prev = None
    if page > 1:
        prev = remove_query_param(url, "page") if page == 2 else replace_query_param(url, "page", page - 1)
    head = json.dumps({"count": count, "next": nxt, "previous": prev}, ensure_ascii=False)[:-1]
    return HttpResponse(f'{head},"results":{results}}}'.encode(), content_type="application/json")


# --- Timing --------------------------------------------------------------------------------

# (label, user, query): a health-bureau user sees all 100,000; the 五马 street office sees its own street.
SCENARIOS = [
    ("health: page 1", "bench_health", {"page_size": PAGE_SIZE}),
    ("health: page 250", "bench_health", {"page_size": PAGE_SIZE, "page": 250}),
    ("health: street+kind", "bench_health", {"page_size": PAGE_SIZE, "street": SONGTAI, "kind": KINDS_2}),
    (
        "health: operating by name p3",
        "bench_health",
        {"page_size": PAGE_SIZE, "status": "operating", "ordering": "name", "page": 3},
    ),
    ("wuma: page 2", "bench_wuma", {"page_size": PAGE_SIZE, "page": 2}),
    ("wuma: operating by name", "bench_wuma", {"page_size": PAGE_SIZE, "status": "operating", "ordering": "name"}),
]


def percentile(values, p):
    """Nearest-rank percentile."""
    ordered = sorted(values)
    # The smallest value with at least p % of the values at or below it: rank ceil(p·n/100). (round()
    # rounds halves to even, and picked one rank too high whenever p·n/100 was an odd whole number.)
    k = max(0, min(len(ordered) - 1, math.ceil(p * len(ordered) / 100) - 1))
    return ordered[k]


def run(args):
    import warnings

    import django

    warnings.filterwarnings("ignore", message="No directory at")
    if args.reset:
        drop_database(os.environ["DATABASE_URL"])
    db_name, server_version = ensure_database(os.environ["DATABASE_URL"])
    django.setup()

    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.urls import include, path

    import luchen_care.urls

    call_command("migrate", verbosity=0, interactive=False)
    call_command("region", "add", "330302", verbosity=0)  # the benchmark's county and its 14 streets
    added, fill_seconds = fill(args.institutions)
    from registry.models import Institution, InstitutionClass

    total = Institution.objects.count()
    classes = InstitutionClass.objects.count()
    print(f"{db_name}: {total:,} institutions, {classes:,} class rows (added {added:,} in {fill_seconds:.1f}s)")
    tokens = bench_users()

    # The bench URLconf: the product's, plus the raw baseline. Nothing is added to the product.
    bench_urls = type(sys)("bench_urls")
    bench_urls.urlpatterns = [path(RAW_PATH.strip("/") + "/", raw_institutions), path("", include(luchen_care.urls))]
    sys.modules["bench_urls"] = bench_urls
    settings.ROOT_URLCONF = "bench_urls"
    from django.urls import clear_url_caches

    clear_url_caches()

    clients = {name: Client(HTTP_AUTHORIZATION=f"Token {key}") for name, key in tokens.items()}
    load_before = os.getloadavg()
    rows = []
    for label, username, params in SCENARIOS:
        client = clients[username]
        api = client.get(API_PATH, params)
        raw = client.get(RAW_PATH, params)
        if api.status_code != 200 or raw.status_code != 200:
            raise SystemExit(f"{label}: API {api.status_code}, raw {raw.status_code}: {api.content[:300]!r}")
        api_json, raw_json = api.json(), json.loads(raw.content)
        for key in ("next", "previous"):  # the same links, on the raw view's own path
            if raw_json[key]:
                raw_json[key] = raw_json[key].replace(RAW_PATH, API_PATH)
        if api_json != raw_json:
            diff = (
                next((a, r) for a, r in zip(api_json["results"], raw_json["results"], strict=False) if a != r)
                if api_json["results"] != raw_json["results"]
                else (api_json.get("count"), raw_json.get("count"))
            )
            raise SystemExit(f"{label}: the raw view and the API disagree:\nAPI {diff[0]}\nraw {diff[1]}")
        for _ in range(args.warmup):
            client.get(API_PATH, params)
            client.get(RAW_PATH, params)
        times = {"api": [], "raw": []}
        for i in range(args.rounds):  # alternate which goes first so drift hits both alike
            order = (("api", API_PATH), ("raw", RAW_PATH)) if i % 2 == 0 else (("raw", RAW_PATH), ("api", API_PATH))
            for which, url in order:
                t0 = time.perf_counter()
                response = client.get(url, params)
                times[which].append((time.perf_counter() - t0) * 1000)
                assert response.status_code == 200, (which, label, response.status_code)
        row = {
            "scenario": label,
            "user": username,
            "query": params,
            "count": api_json["count"],
            "results": len(api_json["results"]),
            "bytes": len(api.content),
        }
        for which in ("raw", "api"):
            row[f"{which}_median_ms"] = round(statistics.median(times[which]), 2)
            row[f"{which}_p95_ms"] = round(percentile(times[which], 95), 2)
        row["ratio_median"] = round(row["api_median_ms"] / row["raw_median_ms"], 2)
        row["ratio_p95"] = round(row["api_p95_ms"] / row["raw_p95_ms"], 2)
        rows.append(row)
        print(
            f"  {label:<30} raw {row['raw_median_ms']:7.2f} / {row['raw_p95_ms']:7.2f} ms   "
            f"API {row['api_median_ms']:7.2f} / {row['api_p95_ms']:7.2f} ms   ×{row['ratio_median']:.2f}"
        )
    connection.close()
    load_after = os.getloadavg()

    geo = statistics.geometric_mean([r["ratio_median"] for r in rows])
    header = f"{'scenario':<30} {'count':>7} {'raw med':>8} {'raw p95':>8} {'API med':>8} {'API p95':>8} {'ratio':>6}"
    print()
    print(f"GET {API_PATH}?page_size={PAGE_SIZE}, {args.rounds} timed requests each after {args.warmup} warm-up (ms)")
    print(header)
    print("-" * len(header))
    for r in rows:
        print(
            f"{r['scenario']:<30} {r['count']:>7} {r['raw_median_ms']:>8.2f} {r['raw_p95_ms']:>8.2f} "
            f"{r['api_median_ms']:>8.2f} {r['api_p95_ms']:>8.2f} {r['ratio_median']:>5.2f}×"
        )
    worst = max(rows, key=lambda r: r["ratio_median"])
    holds = worst["ratio_median"] <= MAX_RATIO and geo <= MAX_GEOMEAN
    print(f"geometric mean of the median ratios: {geo:.2f}× (target: at most {MAX_GEOMEAN}×)")
    print(
        f"highest ratio: {worst['ratio_median']:.2f}× ({worst['scenario']}; "
        f"target: every scenario at most {MAX_RATIO}×)"
    )
    print("targets hold" if holds else "TARGETS MISSED")
    print(
        f"{os.cpu_count()} CPUs; load average {load_before[0]:.2f} before the timings, {load_after[0]:.2f} after "
        "(other work on the machine inflates both columns, and the p95s most)"
    )

    OUT_DIR.mkdir(parents=True, exist_ok=True)
    out = OUT_DIR / "institutions_api.json"
    when = datetime.now(UTC)
    report = (
        json.dumps(
            {
                "when": when.isoformat(timespec="seconds"),
                "machine": {
                    **machine(),
                    "postgresql": server_version,
                    "loadavg_1min_before": round(load_before[0], 2),
                    "loadavg_1min_after": round(load_after[0], 2),
                },
                "database": db_name,
                "institutions": total,
                "class_rows": classes,
                "filled": {"added": added, "seconds": round(fill_seconds, 1)},
                "page_size": PAGE_SIZE,
                "warmup": args.warmup,
                "rounds": args.rounds,
                "scenarios": rows,
                "ratio_median_geomean": round(geo, 2),
                "ratio_median_max": worst["ratio_median"],
                "targets": {"max_ratio": MAX_RATIO, "max_geomean": MAX_GEOMEAN, "hold": holds},
            },
            ensure_ascii=False,
            indent=2,
        )
        + "\n"
    )
    out.write_text(report)
    kept = OUT_DIR / f"institutions_api-{when:%Y%m%dT%H%M%SZ}.json"
    kept.write_text(report)
    print(f"written to {out.relative_to(BASE_DIR)} and {kept.relative_to(BASE_DIR)}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--institutions", type=int, default=100_000, help="fill up to this many (default 100000)")
    parser.add_argument("--rounds", type=int, default=40, help="timed requests per scenario and view (default 40)")
    parser.add_argument("--warmup", type=int, default=5, help="untimed requests first (default 5)")
    parser.add_argument("--reset", action="store_true", help="drop and recreate the bench database first")
    args = parser.parse_args()
    if not (1 <= args.rounds <= 1000 and 0 <= args.warmup <= 100 and 0 < args.institutions <= 1_000_000):
        parser.error("--rounds 1..1000, --warmup 0..100, --institutions 1..1000000")
    run(args)


if __name__ == "__main__":
    main()
