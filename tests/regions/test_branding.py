"""Branding from data: what the platform calls itself, where, and who issues its notices, read from
the county records, so that no county is written into the code."""

import datetime
import re
from collections import deque
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from luchen_care.accounts.models import Authority, Role, User
from luchen_care.regions.branding import branding_for, deployment_branding
from luchen_care.regions.models import County
from luchen_care.regions.services import county_brand
from registry.demo import load_demo
from registry.payloads import registration_markdown
from registry.services.registrations import registration_record
from registry.services.streets import county_streets_load
from tests.factories import UserFactory, make_credit_code, street

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.django_db


# --- No county in the code ---------------------------------------------------------------

# Where the platform's own code, pages and words live (the division table is data, not code).
SEARCHED = ["manage.py", "luchen_care", "registry", "subsidies", "inspections", "targets"]
SEARCHED += ["templates", "static", "locale"]
SUFFIXES = {".py", ".html", ".txt", ".js", ".css", ".json", ".po", ".mo", ".xml", ".svg"}
# Outside the search: demo data, migrations (they record history as it was) and the vendored table.
EXCLUDED = ("registry/demo.py", "registry/demo_filings.py", "/migrations/", "luchen_care/regions/data/")


def searched_files():
    for top in SEARCHED:
        path = ROOT / top
        for file in [path] if path.is_file() else sorted(path.rglob("*")):
            relative = file.relative_to(ROOT).as_posix()
            if file.is_file() and file.suffix in SUFFIXES and not any(part in f"/{relative}" for part in EXCLUDED):
                yield relative, file


def test_no_county_is_written_into_code_templates_static_files_or_the_catalogue():
    files = list(searched_files())
    assert len(files) > 100  # the search reaches the code, not an empty directory
    assert any(name.endswith("django.po") for name, _file in files)
    assert any(name.startswith("templates/") for name, _file in files)
    found = [(name, word) for name, file in files for word in ("鹿城", "330302") if word.encode() in file.read_bytes()]
    assert found == []


# --- The branding each user sees ---------------------------------------------------------


@pytest.fixture
def longwan(db):
    county_streets_load(code="330303")
    return County.objects.get(code="330303")


def test_a_single_county_deployment_is_branded_as_its_county():
    branding = deployment_branding()
    assert (branding.platform_name, branding.issuer, branding.full_place) == (
        "鹿城托育综合监管平台",
        "温州市鹿城区卫生健康局",
        "浙江省温州市鹿城区",
    )
    home = Client().get("/").content.decode()
    assert "<h1>鹿城托育综合监管平台</h1>" in home and "温州市鹿城区卫生健康局" in home


def test_a_city_deployment_shows_the_city_publicly_and_each_county_to_its_own_staff(longwan):
    home = Client().get("/").content.decode()
    assert "<h1>温州托育综合监管平台</h1>" in home and "温州市卫生健康委员会" in home

    bureau = UserFactory(username="longwan", role=Role.HEALTH_BUREAU, county=longwan)
    office = UserFactory(username="zhuangyuan", role=Role.STREET_OFFICE, street=street("330303006"))
    city = UserFactory(username="city", role=Role.CITY_HEALTH_COMMISSION, city_code="3303")
    assert branding_for(bureau).issuer == branding_for(office).issuer == "温州市龙湾区卫生健康局"
    assert branding_for(city).platform_name == "温州托育综合监管平台"

    client = Client()
    client.force_login(bureau)
    page = client.get(reverse("admin:index")).content.decode()
    assert "龙湾托育综合监管平台" in page and "温州市龙湾区卫生健康局" in page and "鹿城" not in page


def test_region_brand_sets_the_english_name_issuer_and_plan_and_platform_name_overrides(settings, longwan):
    plan = "龙湾区托育实施方案（示例〔2021〕1号）"
    county_brand(county=longwan, name_en="Longwan District", issuer="龙湾区卫健局", policy_basis=plan)
    bureau = UserFactory(role=Role.HEALTH_BUREAU, county=longwan)
    assert branding_for(bureau).issuer == "龙湾区卫健局"
    with translation.override("en"):
        assert branding_for(bureau).platform_name == "Longwan District Childcare Supervision Platform"
        assert branding_for(bureau).issuer == "Health Bureau of Longwan District"
    settings.PLATFORM_NAME = "瓯江托育平台"
    assert branding_for(bureau).platform_name == "瓯江托育平台"


def test_the_dingtalk_notice_names_the_registrations_county(longwan):
    authority = UserFactory(role=Role.REGISTRATION_AUTHORITY, authority=Authority.MARKET_REGULATION, county=longwan)
    registration, _created = registration_record(
        actor=authority,
        authority=Authority.MARKET_REGULATION,
        registration_number="LW-0001",
        registered_on=datetime.date.today(),
        source="api",
        kind="new",
        credit_code=make_credit_code(4242),
        institution_name="状元示例托育中心",
        street_code="330303006",
        address="状元街道1号",
        legal_representative="王五",
    )
    _title, text = registration_markdown(registration)
    assert text.startswith("#### 龙湾托育：") and "鹿城" not in text


def test_the_api_schema_is_titled_with_the_platform_name(client):
    schema = client.get(reverse("schema"), {"format": "json"}).json()
    assert schema["info"]["title"] == "鹿城托育综合监管平台 API"


# --- A crawl of everything a 龙湾 user reaches --------------------------------------------

SKIPPED = re.compile(r"/logout/|/i18n/|/password/|\.(xlsx|csv|pdf|json)(\?|$)|/template/|/export")
MAX_PAGES = 700
MAX_PER_PATH = 4  # a changelist's filter links are many views of one page; four of each are enough


def crawl(client, starts):
    """Every page reachable from ``starts`` by GET links on this site: {url: body}."""
    seen, per_path, pages = set(starts), {}, {}
    queue = deque(starts)
    while queue and len(pages) < MAX_PAGES:
        url = queue.popleft()
        response = client.get(url)
        assert response.status_code < 500, url
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        body = response.content.decode()
        pages[url] = body
        for href in re.findall(r'href="([^"#]+)', body):
            target = urljoin(url, href.replace("&amp;", "&"))
            parts = urlsplit(target)
            if parts.netloc not in ("", "testserver") or SKIPPED.search(target) or target in seen:
                continue
            if parts.path.startswith("/static/"):
                continue
            per_path[parts.path] = per_path.get(parts.path, 0) + 1
            if per_path[parts.path] > MAX_PER_PATH:
                continue
            seen.add(target)
            queue.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return pages


def test_no_page_a_longwan_user_reaches_says_lucheng():
    """The demo's two counties: the 龙湾 health bureau crawls the admin, the pages and the API's
    browsable pages, following every link, and no page names 鹿城 (streets, institutions, branding)."""
    load_demo()
    client = Client()
    client.force_login(User.objects.get(username="longwan"))
    pages = crawl(client, ["/", "/admin/", "/api/v1/"])
    assert len(pages) > 40  # the crawl reached the admin's lists, change pages and history pages
    assert any("/change/" in url for url in pages) and any("/history/" in url for url in pages)
    assert any("状元" in body for body in pages.values())  # 龙湾's own records are there
    mentions = sorted(url for url, body in pages.items() if "鹿城" in body)
    assert mentions == [], [(url, re.findall(r".{0,60}鹿城.{0,30}", pages[url])[:2]) for url in mentions[:12]]


def test_region_brand_prints_what_the_pages_will_say_and_refuses_a_county_not_added(longwan):
    from io import StringIO

    from django.core.management import CommandError, call_command

    out = StringIO()
    call_command("region", "brand", "330303", "--name-en", "Longwan District", stdout=out)
    assert out.getvalue().strip() == "330303 浙江省温州市龙湾区：龙湾托育综合监管平台，出具单位温州市龙湾区卫生健康局"
    assert County.objects.get(code="330303").name_en == "Longwan District"
    with pytest.raises(CommandError, match="330304"):
        call_command("region", "brand", "330304", "--issuer", "某局")
