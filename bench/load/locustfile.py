"""The load bench's virtual users, driven by Locust as a library (``bench/load/run.py`` starts this file).

Run as ``python bench/load/locustfile.py CONFIG.json``: CONFIG (written by ``run.py``) names the
server, the rates, the seconds per rate, and each virtual user's account, address and token. This
process signs every virtual user in once through the admin's login form (with its own authenticator
code where it has one), then holds each fixed arrival rate in turn, and writes every request it made
(type, start, milliseconds, status, error) to the file CONFIG names. ``run.py`` reads that file and
reports; nothing here decides PASS or FAIL.

How the production settings are met over plain HTTP on loopback:

- every request says ``X-Forwarded-Proto: https``, as the TLS-terminating proxy in front of
  gunicorn would, and production believes it (``SECURE_PROXY_SSL_HEADER``): the request is secure,
  so the session and CSRF cookies are ``Secure`` and the CSRF check asks for an https origin;
- requests' cookie jar would keep those cookies from a plain-HTTP request, so each virtual user
  writes its ``Cookie`` header itself from the cookies the server set (``Officer._cookies``), as a
  browser sends them to the proxy over TLS;
- each virtual user connects from its own loopback address (127.0.0.x, bound as the source of
  every connection), and with ``TRUSTED_PROXY_COUNT`` 0 that address is the one the login limits
  and the token endpoint's throttle count, as each officer's own address is in production.

Arrival rate: each of the N virtual users starts one request every N/rate seconds (its phase drawn
at random when a rate begins), so together they start ``rate`` requests a second while each answer
comes within N/rate seconds; a user whose answer is later starts its next one at once (no catch-up
burst), so an overloaded server shows as an achieved rate below the target. Which request comes next
is drawn from one shuffled cycle of 100 slots shared by all users, so the mix holds exactly over
every 100 requests (the token endpoint: 1 slot in 100).
"""

import json
import random
import re
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import gevent
from locust import HttpUser, constant, events, task
from locust.clients import LocustHttpAdapter
from locust.env import Environment
from mix import EXPECTED, MIX
from urllib3 import PoolManager

BASE_DIR = Path(__file__).resolve().parent.parent.parent

KINDS = ["standalone", "nursery_class", "employer", "community", "family"]
BRANDS = ["小橙子", "爱贝", "童馨", "金色摇篮", "七彩", "小天使", "红黄蓝", "乐育", "启智", "瓯江"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗郑"
TIMEOUT = 70  # seconds: above gunicorn's worker timeout (60), so a killed worker shows as an error
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')

CONFIG = {}
SAMPLES = []  # [type, start (Unix time), milliseconds, status, error or None, variant or None]


class Plan:
    """What all users share: the current rate (0: idle), when it began, and the cycle of request types."""

    rate = 0.0
    spawned = 0
    stage = -1
    stage_start = 0.0
    signed_in = 0
    sign_in_failed = 0
    in_flight = 0
    slot = 0
    cycle = []
    rng = random.Random(0)
    api_requests = 0

    @classmethod
    def next_type(cls):
        if cls.slot % len(cls.cycle) == 0:
            cls.rng.shuffle(cls.cycle)
        kind = cls.cycle[cls.slot % len(cls.cycle)]
        cls.slot += 1
        return kind


@events.request.add_listener
def _record(request_type, name, response_time, response_length, response=None, exception=None, start_time=None, **kw):
    status = getattr(response, "status_code", 0) or 0
    error = None if exception is None else str(exception)
    variant = (kw.get("context") or {}).get("variant")
    SAMPLES.append([name, start_time, round(response_time, 2), status, error, variant])


def base31(number, width):
    """``number`` in ``width`` characters of the credit code's alphabet (GB 32100-2015)."""
    from registry.validators import USCC_ALPHABET  # the project on the path once main() has run

    digits = ""
    for _ in range(width):
        number, digit = divmod(number, 31)
        digits = USCC_ALPHABET[digit] + digits
    return digits


class Officer(HttpUser):
    """One officer at work: its own account (health bureau or street office), address, session and token."""

    wait_time = constant(0)  # the pacing is ``_pace``'s

    def __init__(self, environment):
        super().__init__(environment)
        self.index = Plan.spawned
        Plan.spawned += 1
        self.account = CONFIG["users"][self.index]
        self.rng = random.Random(CONFIG["seed"] * 1000 + self.index)
        # Every connection of this user leaves from its own loopback address.
        pool = PoolManager(num_pools=2, maxsize=2, source_address=(self.account["address"], 0))
        self.client.mount("http://", LocustHttpAdapter(pool_manager=pool))
        self.client.headers.update({"X-Forwarded-Proto": "https", "Accept-Language": "zh-hans"})
        self.origin = "https://" + CONFIG["host"].split("://", 1)[1]
        self.jar = {}
        self.stage = None
        self.next_due = 0.0
        self.registrations = 0

    # --- signing in, once ------------------------------------------------------------------

    def on_start(self):
        from tests.otp import code_for_key  # the tests' authenticator: production's sign-in

        account = self.account
        login = "/admin/login/"
        form = self.client.get(login, name="admin sign-in form", allow_redirects=False, timeout=TIMEOUT)
        # The form's answer set the CSRF cookie (Secure); the POST sends it back with the form's token.
        match = CSRF_INPUT.search(form.text) if form.status_code == 200 else None
        data = {
            "csrfmiddlewaretoken": match.group(1) if match else "",
            "username": account["username"],
            "password": account["password"],
            "next": "/admin/",
        }
        if account["otp_key"]:
            data["otp_token"] = code_for_key(account["otp_key"])
        headers = {"Origin": self.origin, "Referer": self.origin + login, **self._cookies()}
        with self.client.post(
            login, data=data, headers=headers, name="admin sign-in", allow_redirects=False,
            timeout=TIMEOUT, catch_response=True,
        ) as answer:  # fmt: skip
            if answer.status_code == 302 and answer.headers.get("Location", "").endswith("/admin/"):
                answer.success()
                Plan.signed_in += 1
            else:
                answer.failure(f"sign-in of {account['username']} answered {answer.status_code}")
                Plan.sign_in_failed += 1

    def _cookies(self):
        """The session's cookies as a browser sends them to the TLS proxy: Secure ones included.

        requests writes a ``Secure`` cookie only into an https request, and this hop is plain HTTP
        standing for the proxy's TLS. So each cookie the server set is moved from requests' jar into
        this user's own (by name, as the server keeps them), and the ``Cookie`` header is written
        from it, for the admin's requests (the API's clients send tokens, no cookies)."""
        for cookie in list(self.client.cookies):
            self.jar[cookie.name] = cookie.value
        self.client.cookies.clear()
        return {"Cookie": "; ".join(f"{name}={value}" for name, value in self.jar.items())} if self.jar else {}

    # --- pacing: this user's share of the rate ---------------------------------------------

    def _pace(self):
        users = len(CONFIG["users"])
        while True:
            if Plan.rate <= 0:
                self.stage = None
                gevent.sleep(0.1)
                continue
            period = users / Plan.rate
            now = time.time()
            if self.stage != Plan.stage:
                self.stage = Plan.stage
                self.next_due = Plan.stage_start + self.rng.uniform(0, period)
            if now >= self.next_due:
                self.next_due = max(self.next_due + period, now)
                return
            gevent.sleep(min(0.1, self.next_due - now))

    @task
    def work(self):
        self._pace()
        kind = Plan.next_type()
        Plan.in_flight += 1
        try:
            getattr(self, "_" + kind.replace(" ", "_").lower())(kind)
        finally:
            Plan.in_flight -= 1

    def _send(self, kind, method, path, variant=None, **kwargs):
        with self.client.request(
            method, path, name=kind, allow_redirects=False, timeout=TIMEOUT, catch_response=True,
            context={"variant": variant}, **kwargs,
        ) as answer:  # fmt: skip
            if answer.status_code == EXPECTED[kind]:
                answer.success()
            elif answer.status_code == 429:
                answer.failure("429")
            else:
                answer.failure(f"{answer.status_code}: {answer.text[:200]}")

    # --- the API: every third request the client system's token, else the officer's own --------

    def _token(self):
        Plan.api_requests += 1
        own = Plan.api_requests % 3 != 0
        key = self.account["token"] if own else CONFIG["api_client"]["token"]
        return own, {"Authorization": f"Token {key}", "Accept": "application/json"}

    def _api_list(self, kind):
        own, headers = self._token()
        rng = self.rng
        street = rng.choice(CONFIG["streets"])
        visible = self.account["visible"] if own else CONFIG["api_client"]["visible"]
        # Pages that exist: of everything visible, and of the operating ones (about 70%).
        pages, operating_pages = max(1, min(40, visible // 100)), max(1, min(5, visible * 6 // 1000))
        queries = {
            "page 1 of 20": {"page_size": 20},
            "a page of 100": {"page_size": 100, "page": rng.randint(1, pages)},
            "street and 2 kinds": {"page_size": 50, "street": street["code"], "kind": ["standalone", "community"]},
            "operating by name": {
                "page_size": 100, "status": "operating", "ordering": "name", "page": rng.randint(1, operating_pages),
            },
            "inclusive non-profit": {"page_size": 20, "inclusive": "true", "for_profit": "false"},
            "market regulator, newest": {
                "page_size": 50, "registration_authority": "market_regulation", "ordering": "-registered_on",
            },
            "public nursery classes": {"page_size": 20, "kind": "nursery_class", "ownership": "public"},
            "search a name": {"page_size": 20, "search": rng.choice(BRANDS)},
        }  # fmt: skip
        if own and self.account["role"] == "street_office":
            queries["street and 2 kinds"].pop("street")  # an office reads its own street
        variant = rng.choice(sorted(queries))
        who = "own token" if own else "client system"
        self._send(kind, "GET", "/api/v1/institutions/", f"{variant} ({who})", params=queries[variant], headers=headers)

    def _api_detail(self, kind):
        own, headers = self._token()
        ids = self.account["ids"] if own else CONFIG["all_ids"]
        self._send(kind, "GET", f"/api/v1/institutions/{self.rng.choice(ids)}/", headers=headers)

    # --- the admin, with this user's session -----------------------------------------------

    def _admin(self, kind, path, variant=None, **kwargs):
        self._send(kind, "GET", path, variant, headers=self._cookies(), **kwargs)

    def _admin_changelist(self, kind):
        rng = self.rng
        street = rng.choice(CONFIG["streets"])
        queries = {
            "first page": {},
            "operating": {"status__exact": "operating"},
            "kind, inclusive": {"kind__exact": rng.choice(KINDS), "inclusive__exact": "1"},
            "search": {"q": rng.choice(BRANDS)},
            "a later page": {"p": rng.randint(1, max(1, min(20, self.account["visible"] // 50)))},  # 50 a page
            "newest registered": {"o": "-9"},
        }
        if self.account["role"] != "street_office":
            queries["street, operating"] = {"street__id__exact": street["pk"], "status__exact": "operating"}
        variant = rng.choice(sorted(queries))
        self._admin(kind, "/admin/registry/institution/", variant, params=queries[variant])

    def _admin_change(self, kind):
        self._admin(kind, f"/admin/registry/institution/{self.rng.choice(self.account['ids'])}/change/")

    # --- writes: a registration authority's registration, a client system's token ------------

    def _registration_post(self, kind):
        from registry.validators import uscc_check_character

        self.registrations += 1
        n = self.registrations
        # 91 (a company registered by 市场监管局), 330302, then an organisation code the fill never
        # makes (it begins with L): the run's tag, this user, its count; then the check character.
        body = f"91330302L{CONFIG['run_tag']}{base31(self.index, 2)}{base31(n, 4)}"
        street = self.rng.choice(CONFIG["streets"])
        day = datetime.now(UTC).date() - timedelta(days=self.rng.randint(1, 30))
        data = {
            "authority": "market_regulation",
            "registration_number": f"LOAD-{CONFIG['run_tag']}-{self.index:03d}-{n:05d}",
            "registered_on": day.isoformat(),
            "kind": "new",
            "credit_code": body + uscc_check_character(body),
            "institution_name": f"{street['name']}负载测试托育有限公司{self.index:03d}{n:05d}",
            "street_code": street["code"],
            "address": f"温州市鹿城区{street['name']}人民路{self.rng.randint(1, 400)}号",
            "legal_representative": self.rng.choice(SURNAMES) + "晓燕",
        }
        headers = {"Authorization": f"Token {CONFIG['registrar']['token']}", "Accept": "application/json"}
        self._send(kind, "POST", "/api/v1/registrations/", json=data, headers=headers)

    def _token_post(self, kind):
        client = CONFIG["api_client"]
        data = {"username": client["username"], "password": client["password"], "name": client["exchange_name"]}
        self._send(kind, "POST", "/api/v1/auth/token/", json=data, headers={"Accept": "application/json"})


def main(config_path):
    global CONFIG
    CONFIG = json.loads(Path(config_path).read_text())
    sys.path.insert(0, str(BASE_DIR))
    import django

    django.setup()  # for tests.otp (django-otp's models); this process never opens the database

    Plan.cycle = [kind for kind, slots in MIX.items() for _ in range(slots)]
    Plan.rng = random.Random(CONFIG["seed"])
    Officer.host = CONFIG["host"]
    users = len(CONFIG["users"])
    environment = Environment(user_classes=[Officer], events=events, host=CONFIG["host"])
    runner = environment.create_local_runner()
    stages = []
    started = time.time()
    runner.start(users, spawn_rate=users)
    deadline = time.time() + CONFIG["sign_in_timeout"]
    while Plan.signed_in + Plan.sign_in_failed < users and time.time() < deadline:
        gevent.sleep(0.1)
    signed_in_seconds = time.time() - started
    print(f"{Plan.signed_in} of {users} virtual users signed in in {signed_in_seconds:.1f} s", flush=True)
    if Plan.signed_in == users:
        for index, rate in enumerate(CONFIG["rates"]):
            Plan.stage_start = time.time()
            Plan.stage, Plan.rate = index, float(rate)
            gevent.sleep(CONFIG["seconds"])
            end = time.time()
            stages.append({"rate": rate, "start": Plan.stage_start, "end": end})
            done = sum(1 for s in SAMPLES if s[1] is not None and Plan.stage_start <= s[1] < end)
            print(f"  {rate:>4} requests/s for {end - Plan.stage_start:.0f} s: {done} answered so far", flush=True)
        Plan.rate = 0
        drain = time.time() + TIMEOUT
        while Plan.in_flight and time.time() < drain:  # let the last requests answer
            gevent.sleep(0.1)
    runner.quit()
    out = {
        "signed_in": Plan.signed_in,
        "sign_in_failed": Plan.sign_in_failed,
        "sign_in_seconds": round(signed_in_seconds, 2),
        "stages": stages,
        "unfinished": Plan.in_flight,
        "samples": SAMPLES,
    }
    Path(CONFIG["samples_out"]).write_text(json.dumps(out))
    return 0 if Plan.signed_in == users else 3


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
