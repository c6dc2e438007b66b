"""The staff workbench as each staff role sees it: every entry's count is the number of rows its link
opens, no other scope's rows are counted, and the page's queries do not grow with the data.

The world (``world``), written out by hand with today's date ``T``:

====  ==================  =====================  ==========  =========  =========  ============
 key   institution         authority              registered  deadline   pushed     inbox
====  ==================  =====================  ==========  =========  =========  ============
 m1    五马 A (registered)  market regulation      T-10        T-3        no         (failed push)
 m2    七都 B (registered)  market regulation      T-5         T          no
 c3    七都 D (operating)   civil affairs          T-1         T+4        no
 m4    五马 A (registered)  market regulation      T-40        T-35       T-36       delivered
 e5    五马 C nursery (r.)  establishment office   T-3         T          no
 c6    七都 D (operating)   civil affairs          T-20        T-12       no
 e7    五马 C nursery (r.)  establishment office   T-2         T+3        T-1        delivered
 c8    七都 D (operating)   civil affairs          T-15        T-10       T-11       delivered
 l9    龙湾 L (registered)  market regulation      T-9         T-2        no         delivered
====  ==================  =====================  ==========  =========  =========  ============

(l9 is in 龙湾区, the second county: only its own bureau and the city's commission count it; its
inbox delivery stands for one the 龙湾 webhook later confirmed, and a stale push status.)
"""

import datetime
import html
import re

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from luchen_care.accounts.models import Authority, Role
from luchen_care.exchange.models import Channel, DeliveryStatus, PushDelivery
from luchen_care.regions.models import County
from registry.models import InstitutionKind, InstitutionStatus, Ownership, Registration, RegistrationKind, Street
from registry.services.push import REGISTRATION_TOPIC
from registry.services.streets import county_streets_load
from tests.accounts.factories import UserFactory
from tests.registry.factories import InstitutionFactory, StoredRegistrationFactory, street

pytestmark = pytest.mark.django_db

WUMA, QIDU, ZHUANGYUAN = "330302006", "330302023", "330303006"
INDEX = reverse("admin:index")


def days(n):
    return timezone.localdate() + datetime.timedelta(days=n)


def pushed_at(n):
    return timezone.now() + datetime.timedelta(days=n)


def add_registration(institution, authority, *, registered, deadline, pushed=None, inbox=False, failed=False, **extra):
    registration = StoredRegistrationFactory(
        **extra,
        institution=institution,
        authority=authority,
        registered_on=days(registered),
        push_deadline=days(deadline),
        push_status="pushed" if pushed is not None else ("failed" if failed else "pending"),
        pushed_at=pushed_at(pushed) if pushed is not None else None,
    )
    subject = {"subject_type": ContentType.objects.get_for_model(Registration), "subject_id": registration.pk}
    if inbox:
        PushDelivery.objects.create(
            topic=REGISTRATION_TOPIC,
            channel=Channel.INBOX,
            status=DeliveryStatus.DELIVERED,
            delivered_at=pushed_at(pushed if pushed is not None else 0),
            subject_label=str(registration),
            **subject,
        )
    if failed:
        PushDelivery.objects.create(
            topic=REGISTRATION_TOPIC,
            channel=Channel.WEBHOOK,
            status=DeliveryStatus.FAILED,
            attempts=6,
            last_error="HTTP 503",
            subject_label=str(registration),
            **subject,
        )
    return registration


@pytest.fixture
def world(db):
    county_streets_load(code="330303")  # 龙湾区, the second county
    a = InstitutionFactory(name="五马甲托育园", street=street(WUMA), status=InstitutionStatus.REGISTERED)
    b = InstitutionFactory(name="七都乙托育园", street=street(QIDU), status=InstitutionStatus.REGISTERED)
    c = InstitutionFactory(
        name="五马幼儿园托班",
        street=street(WUMA),
        kind=InstitutionKind.NURSERY_CLASS,
        ownership=Ownership.PUBLIC,
        for_profit=False,
        registration_authority=Authority.ESTABLISHMENT_OFFICE,
        status=InstitutionStatus.REGISTERED,
    )
    d = InstitutionFactory(
        name="七都丁托育园", street=street(QIDU), registration_authority=Authority.CIVIL_AFFAIRS, for_profit=False
    )
    longwan = InstitutionFactory(name="龙湾托育园", street=street(ZHUANGYUAN), status=InstitutionStatus.REGISTERED)
    market, civil, establishment = Authority.MARKET_REGULATION, Authority.CIVIL_AFFAIRS, Authority.ESTABLISHMENT_OFFICE
    rows = {
        "m1": add_registration(a, market, registered=-10, deadline=-3, failed=True),
        "m2": add_registration(b, market, registered=-5, deadline=0),
        "c3": add_registration(d, civil, registered=-1, deadline=4),
        "m4": add_registration(a, market, registered=-40, deadline=-35, pushed=-36, inbox=True),
        "e5": add_registration(c, establishment, registered=-3, deadline=0),
        "c6": add_registration(d, civil, registered=-20, deadline=-12),
        "e7": add_registration(c, establishment, registered=-2, deadline=3, pushed=-1, inbox=True),
        "c8": add_registration(d, civil, registered=-15, deadline=-10, pushed=-11, inbox=True),
        "l9": add_registration(longwan, market, registered=-9, deadline=-2, inbox=True),
    }
    lucheng, longwan_county = County.objects.get(code="330302"), County.objects.get(code="330303")
    users = {
        "health": UserFactory(role=Role.HEALTH_BUREAU),
        "longwan": UserFactory(role=Role.HEALTH_BUREAU, county=longwan_county),
        "market": UserFactory(role=Role.REGISTRATION_AUTHORITY, authority=market, county=lucheng),
        "civil": UserFactory(role=Role.REGISTRATION_AUTHORITY, authority=civil, county=lucheng),
        "establishment": UserFactory(role=Role.REGISTRATION_AUTHORITY, authority=establishment, county=lucheng),
        "wuma": UserFactory(role=Role.STREET_OFFICE, street=street(WUMA)),
        "education": UserFactory(role=Role.EDUCATION_BUREAU),
        "city": UserFactory(role=Role.CITY_HEALTH_COMMISSION, county=None, city_code="3303"),
    }
    return rows, users


# What each role's workbench lists, written out by hand from the table above: entry → rows.
EXPECTED = {
    "health": {
        "registry.push_overdue": {"m1", "c6"},
        "registry.push_due_today": {"m2", "e5"},
        "registry.push_ahead": {"c3"},
        "registry.awaiting_filing": {"m4", "e7"},  # c8's institution has filed; l9 is 龙湾's
        "exchange.failed_deliveries": {"m1"},
        # Lucheng's institutions (named by their registrations), none with a portal account yet.
        "registry.institutions_to_invite": {"m1", "m2", "c3", "m4", "e5", "c6", "e7", "c8"},
        "registry.portal_signups_pending": set(),
        # The world has no filing: the reviewing bureaus' entries say none.
        "registry.filings_awaiting_review": set(),
        "registry.filings_overdue": set(),
    },
    "longwan": {
        "registry.push_overdue": {"l9"},
        "registry.push_due_today": set(),
        "registry.push_ahead": set(),
        "registry.awaiting_filing": {"l9"},
        "exchange.failed_deliveries": set(),
        "registry.institutions_to_invite": {"l9"},
        "registry.portal_signups_pending": set(),
        "registry.filings_awaiting_review": set(),
        "registry.filings_overdue": set(),
    },
    "market": {
        "registry.push_overdue": {"m1"},
        "registry.push_due_today": {"m2"},
        "registry.push_ahead": set(),
    },
    "civil": {
        "registry.push_overdue": {"c6"},
        "registry.push_due_today": set(),
        "registry.push_ahead": {"c3"},
    },
    "establishment": {
        "registry.push_overdue": set(),
        "registry.push_due_today": {"e5"},
        "registry.push_ahead": set(),
    },
    "wuma": {"registry.street_recent": {"m1", "e5", "e7"}},  # m4 is 40 days old; 七都's are not 五马's
    "education": {  # its nursery classes only
        "registry.awaiting_filing": {"e7"},
        "registry.institutions_to_invite": {"e5", "e7"},
        "registry.portal_signups_pending": set(),
        "registry.filings_awaiting_review": set(),
        "registry.filings_overdue": set(),
    },
    "city": {  # both counties of 温州市; it reads sign-ups, and invites nobody
        "registry.awaiting_filing": {"m4", "e7", "l9"},
        "registry.portal_signups_pending": set(),
    },
}
# Entries that list institutions: their rows are the institutions of the registrations named.
LISTS_INSTITUTIONS = {"registry.institutions_to_invite"}

# The Chinese each role reads on its workbench (one label per entry).
LABELS = {
    "registry.push_overdue": "逾期未推送的登记",
    "registry.push_due_today": "今日到期的登记推送",
    "registry.push_ahead": "待推送登记（未到期）",
    "registry.awaiting_filing": "待备案登记",
    "exchange.failed_deliveries": "推送失败的记录",
    "registry.street_recent": "本街道近30天的登记",
    "registry.institutions_to_invite": "待邀请开通门户账号的机构",
    "registry.portal_signups_pending": "待激活的机构门户注册",
    # The filing review's entries, as the catalogue translates them (their Chinese is in /work/trans until merged).
    "registry.filings_awaiting_review": gettext("Filings awaiting my review"),
    "registry.filings_overdue": gettext("Filings past their receipt deadline"),
}

ENTRY = re.compile(
    r'<li id="todo-[^"]*"(?P<urgent> class="urgent")?><a href="(?P<url>[^"]+)" data-key="(?P<key>[^"]+)">'
    r'\s*<span>(?P<label>[^<]+).*?data-count="(?P<count>\d+)"',
    re.S,
)


def workbench(client):
    """The entries of the admin index as the signed-in user sees them: key → (count, url, urgent)."""
    response = client.get(INDEX)
    assert response.status_code == 200
    return {
        m["key"]: (int(m["count"]), html.unescape(m["url"]), bool(m["urgent"]))
        for m in ENTRY.finditer(response.content.decode())
    }


def listed(client, url):
    """The pks of the rows the changelist at ``url`` shows, and the result count it states."""
    response = client.get(url)
    assert response.status_code == 200, url
    changelist = response.context["cl"]
    assert "e=1" not in response.get("Location", "")
    body = response.content.decode()
    table = re.search(r'<table id="result_list">.*?<tbody>(.*?)</tbody>', body, re.S)
    shown = len(re.findall(r"<tr[ >]", table.group(1))) if table else 0
    assert shown == changelist.result_count
    return {obj.pk for obj in changelist.result_list}, changelist.result_count


@pytest.mark.parametrize("role", list(EXPECTED))
def test_each_count_is_the_rows_its_link_opens_and_no_other_scopes(client, world, role):
    rows, users = world
    client.force_login(users[role])
    entries = workbench(client)
    assert set(entries) == set(EXPECTED[role])
    for key, expected in EXPECTED[role].items():
        count, url, urgent = entries[key]
        pks, result_count = listed(client, url)
        if key in LISTS_INSTITUTIONS:
            institutions = {rows[k].institution_id for k in expected}
            assert count == result_count == len(institutions) and pks == institutions, (key, url)
            continue
        assert count == result_count == len(expected), (key, url)
        assert pks == {rows[k].pk for k in expected if k in rows} or key == "exchange.failed_deliveries"
        if key == "exchange.failed_deliveries":
            failed = PushDelivery.objects.filter(
                status=DeliveryStatus.FAILED, subject_id__in=[rows[k].pk for k in expected]
            )
            assert pks == set(failed.values_list("pk", flat=True))
        # Overdue, due today and failed deliveries stand out when there are any.
        assert urgent == (
            bool(count) and key in {"registry.push_overdue", "registry.push_due_today", "exchange.failed_deliveries"}
        )


@pytest.mark.parametrize("role", list(EXPECTED))
def test_the_workbench_is_in_chinese_urgent_first_and_the_tables_below(client, world, role):
    _rows, users = world
    client.force_login(users[role])
    page = client.get(INDEX).content.decode()
    labels = {m["key"]: m["label"] for m in ENTRY.finditer(page)}
    assert labels == {key: LABELS[key] for key in EXPECTED[role]}
    assert "待办" in page
    assert page.index('id="workbench-heading"') < page.index('class="all-tables"')
    keys = [m["key"] for m in ENTRY.finditer(page)]
    urgent = [m["key"] for m in ENTRY.finditer(page) if m["urgent"]]
    assert keys[: len(urgent)] == urgent  # the urgent ones lead


def test_the_deadline_ahead_names_the_earliest_deadline(client, world):
    _rows, users = world
    client.force_login(users["civil"])
    assert f"最早期限：{days(4).isoformat()}" in client.get(INDEX).content.decode()


def grow(n):
    """``n`` more registrations of every kind the workbenches count, in both streets and both counties."""
    streets = [street(WUMA), street(QIDU), street(ZHUANGYUAN)]
    authorities = [Authority.MARKET_REGULATION, Authority.CIVIL_AFFAIRS, Authority.ESTABLISHMENT_OFFICE]
    for i in range(n):
        kind = InstitutionKind.NURSERY_CLASS if i % 2 else InstitutionKind.STANDALONE
        institution = InstitutionFactory(street=streets[i % 3], kind=kind, status=InstitutionStatus.REGISTERED)
        kinds = [
            {"registered": -8, "deadline": -1, "failed": True},
            {"registered": -4, "deadline": 0},
            {"registered": -1, "deadline": 4},
            {"registered": -6, "deadline": -1, "pushed": -2, "inbox": True},
        ]
        for k, kind in enumerate(kinds):
            add_registration(institution, authorities[(i + k) % 3], **kind)


@pytest.mark.parametrize("role", list(EXPECTED))
def test_the_index_asks_as_many_queries_with_2_or_20_registrations_of_each_kind(client, world, role):
    _rows, users = world
    client.force_login(users[role])
    client.get(INDEX)  # the session, content types and translations are loaded once per process

    def queries():
        with CaptureQueriesContext(connection) as ctx:
            entries = workbench(client)
        return len(ctx.captured_queries), entries

    grow(2)
    small, few = queries()
    grow(18)
    large, many = queries()
    assert small == large
    assert sum(count for count, _url, _urgent in many.values()) > sum(count for count, _url, _urgent in few.values())


BAR = re.compile(
    r'<li><a href="(?P<url>[^"]+)" class="label" data-key="registry.new_by_street">(?P<label>[^<]+)</a>'
    r'.*?data-count="(?P<count>\d+)"',
    re.S,
)


def test_a_district_bureau_sees_a_bar_per_street_of_this_months_new_registrations(client, db):
    county_streets_load(code="330303")
    wuma, qidu, zhuangyuan = street(WUMA), street(QIDU), street(ZHUANGYUAN)
    market = Authority.MARKET_REGULATION
    in_wuma, in_qidu = InstitutionFactory(street=wuma), InstitutionFactory(street=qidu)
    in_longwan = InstitutionFactory(street=zhuangyuan)
    today = timezone.localdate()
    rows = {
        "wuma1": add_registration(in_wuma, market, registered=0, deadline=5),
        "wuma2": add_registration(in_wuma, Authority.CIVIL_AFFAIRS, registered=0, deadline=5),
        "qidu1": add_registration(in_qidu, market, registered=0, deadline=5),
        "longwan1": add_registration(in_longwan, market, registered=0, deadline=5),
    }
    add_registration(in_qidu, market, registered=0, deadline=5, kind=RegistrationKind.CHANGE)  # not a new one
    add_registration(in_wuma, market, registered=-today.day, deadline=-1)  # last month's
    lucheng, longwan = County.objects.get(code="330302"), County.objects.get(code="330303")
    users = {
        "health": UserFactory(role=Role.HEALTH_BUREAU, county=lucheng),
        "city": UserFactory(role=Role.CITY_HEALTH_COMMISSION, county=None, city_code="3303"),
        "longwan": UserFactory(role=Role.HEALTH_BUREAU, county=longwan),
        "education": UserFactory(role=Role.EDUCATION_BUREAU),  # no nursery class registered this month
        "market": UserFactory(role=Role.REGISTRATION_AUTHORITY, authority=market, county=lucheng),
        "wuma": UserFactory(role=Role.STREET_OFFICE, street=wuma),
    }
    expected = {
        "health": [(wuma.name, {"wuma1", "wuma2"}), (qidu.name, {"qidu1"})],
        "city": [(wuma.name, {"wuma1", "wuma2"}), (qidu.name, {"qidu1"}), (zhuangyuan.name, {"longwan1"})],
        "longwan": [(zhuangyuan.name, {"longwan1"})],
        "education": [],
        "market": [],
        "wuma": [],
    }
    for role, bars in expected.items():
        client.force_login(users[role])
        page = client.get(INDEX).content.decode()
        shown = [(m["label"], int(m["count"]), html.unescape(m["url"])) for m in BAR.finditer(page)]
        assert [(label, count) for label, count, _url in shown] == [(name, len(keys)) for name, keys in bars], role
        assert ("本月各街道新设登记" in page) == bool(bars)
        for (_label, count, url), (_name, keys) in zip(shown, bars, strict=True):
            pks, result_count = listed(client, url)
            assert result_count == count
            assert pks == {rows[k].pk for k in keys}


def test_the_street_filter_offers_the_streets_of_the_users_rows_only(client, world):
    _rows, users = world
    expected = {
        "health": {WUMA, QIDU},  # 龙湾's 状元 has a registration too, in the other county
        "city": {WUMA, QIDU, ZHUANGYUAN},
        "market": {WUMA, QIDU},
        "establishment": {WUMA},  # one street: no filter to offer
        "wuma": {WUMA},
    }
    for role, codes in expected.items():
        client.force_login(users[role])
        response = client.get(reverse("admin:registry_registration_changelist"))
        specs = [
            f for f in response.context["cl"].filter_specs if getattr(f, "field_path", "") == "institution__street"
        ]
        offered = {code for spec in specs for code in street_codes(pk for pk, _name in spec.lookup_choices)}
        assert offered == (codes if len(codes) > 1 else set()), role


def street_codes(pks):
    return set(Street.objects.filter(pk__in=list(pks)).values_list("code", flat=True))
