"""Counties on every face: a county's bureau reads and writes its own county only, the city's
commission reads all of its counties and writes nothing, and the cost of a list does not grow
with the number of counties a deployment serves."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from luchen_care.accounts.models import Authority, Role
from luchen_care.regions.division import vendored_table
from luchen_care.regions.models import County
from luchen_care.regions.services import county_add
from registry.models import Institution, InstitutionKind, Street
from registry.services.registrations import registration_record
from registry.services.streets import county_streets_load
from tests.accounts.factories import api_token
from tests.factories import InstitutionFactory, UserFactory, make_credit_code, street

pytestmark = pytest.mark.django_db

WUMA, ZHUANGYUAN = "330302006", "330303006"


@pytest.fixture
def longwan(db):
    county_streets_load(code="330303")
    return County.objects.get(code="330303")


@pytest.fixture
def longwan_bureau(longwan):
    return UserFactory(username="longwan", role=Role.HEALTH_BUREAU, county=longwan)


def api(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(user)}")
    return client


def institution_body(code, number):
    return {
        "name": f"跨县测试托育园{number}",
        "credit_code": make_credit_code(880_000 + number),
        "kind": InstitutionKind.STANDALONE,
        "street": code,
        "address": "测试地址1号",
        "ownership": "private",
        "legal_representative": "测试代表",
        "approved_places": 30,
    }


def test_a_county_bureau_cannot_place_an_institution_in_another_county(health_user, longwan_bureau):
    response = api(health_user).post("/api/v1/institutions/", institution_body(ZHUANGYUAN, 1), format="json")
    assert response.status_code == 400
    assert "street" in response.json()["error"]["fields"]
    assert not Institution.objects.filter(name="跨县测试托育园1").exists()

    response = api(longwan_bureau).post("/api/v1/institutions/", institution_body(ZHUANGYUAN, 2), format="json")
    assert response.status_code == 201, response.content
    assert Institution.objects.get(name="跨县测试托育园2").street.county.code == "330303"


def market_registers(actor, *, number, kind, credit_code, name, street_code, address):
    """A registration by Lucheng's market regulation bureau, recorded as the API records one."""
    return registration_record(
        actor=actor,
        source="api",
        authority=Authority.MARKET_REGULATION,
        registration_number=number,
        registered_on=datetime.date.today(),
        kind=kind,
        credit_code=credit_code,
        institution_name=name,
        street_code=street_code,
        address=address,
        legal_representative="跨县代表",
    )


def test_an_authority_cannot_record_a_registration_in_another_countys_street(market_user, longwan):
    with pytest.raises(ValidationError) as refused:
        market_registers(
            market_user,
            number="跨县-001",
            kind="new",
            credit_code=make_credit_code(880_101),
            name="跨县登记托育园",
            street_code=ZHUANGYUAN,
            address="龙湾区状元街道1号",
        )
    assert "street_code" in refused.value.message_dict
    assert not Institution.objects.filter(name="跨县登记托育园").exists()


def test_a_credit_code_of_another_countys_institution_is_refused_and_the_institution_stays(market_user, longwan_bureau):
    theirs = InstitutionFactory(
        street=street(ZHUANGYUAN), name="龙湾已登记托育园", registration_authority=Authority.MARKET_REGULATION
    )
    with pytest.raises(ValidationError) as refused:
        market_registers(
            market_user,
            number="跨县-002",
            kind="change",
            credit_code=theirs.credit_code,
            name="改到鹿城的名字",
            street_code=WUMA,
            address="鹿城区五马街道1号",
        )
    assert refused.value.message_dict["credit_code"] == [
        "该统一社会信用代码属于其他县（区）的托育机构，已在当地登记，不能由本县（区）登记或变更。"
    ]
    theirs.refresh_from_db()
    assert (theirs.name, theirs.street.code) == ("龙湾已登记托育园", ZHUANGYUAN)


def test_each_bureau_reads_its_own_county_and_gets_404_for_the_other(health_user, longwan_bureau, client):
    lucheng_one = InstitutionFactory(street=street(WUMA), name="鹿城一号托育园")
    longwan_one = InstitutionFactory(street=street(ZHUANGYUAN), name="龙湾一号托育园")
    for user, own, other in ((health_user, lucheng_one, longwan_one), (longwan_bureau, longwan_one, lucheng_one)):
        names = [row["name"] for row in api(user).get("/api/v1/institutions/").json()["results"]]
        assert own.name in names and other.name not in names
        assert api(user).get(f"/api/v1/institutions/{other.pk}/").status_code == 404
        client.force_login(user)
        listing = client.get(reverse("admin:registry_institution_changelist")).content.decode()
        assert own.name in listing and other.name not in listing
        assert client.get(reverse("admin:registry_institution_change", args=[other.pk])).status_code == 404


def test_the_city_commission_reads_both_counties_and_writes_nothing(longwan, client):
    lucheng_one = InstitutionFactory(street=street(WUMA), name="鹿城一号托育园")
    longwan_one = InstitutionFactory(street=street(ZHUANGYUAN), name="龙湾一号托育园")
    city = UserFactory(username="wenzhou", role=Role.CITY_HEALTH_COMMISSION, city_code="3303")
    names = [row["name"] for row in api(city).get("/api/v1/institutions/").json()["results"]]
    assert {lucheng_one.name, longwan_one.name} <= set(names)
    response = api(city).patch(f"/api/v1/institutions/{longwan_one.pk}/", {"name": "改名"}, format="json")
    assert response.status_code == 403
    response = api(city).post("/api/v1/institutions/", institution_body(ZHUANGYUAN, 3), format="json")
    assert response.status_code == 403
    client.force_login(city)
    page = client.get(reverse("admin:registry_institution_change", args=[longwan_one.pk]))
    assert page.status_code == 200 and 'name="name"' not in page.content.decode()  # read-only
    assert client.get(reverse("admin:registry_institution_add")).status_code == 403
    longwan_one.refresh_from_db()
    assert longwan_one.name == "龙湾一号托育园"


def load_counties(count):
    """``count`` more counties of the division table (the first, not development zones), one
    street and one institution each."""
    areas = [
        a for a in vendored_table().areas.values() if not a.development_zone and a.code not in ("330302", "330303")
    ]
    for number, area in enumerate(areas[:count]):
        county, _created = county_add(code=area.code)
        other = Street.objects.create(county=county, code=f"{area.code}001", name=f"{area.name}一街道")
        InstitutionFactory(street=other, credit_code=make_credit_code(890_000 + number))


def changelist_queries(client, user):
    client.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("admin:registry_institution_changelist"))
    assert response.status_code == 200
    return len(queries.captured_queries)


def api_queries(user):
    client = api(user)
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/api/v1/institutions/", {"page_size": 50})
    assert response.status_code == 200
    return len(queries.captured_queries), response.json()["count"]


@pytest.mark.parametrize("role", ["health", "city"])
def test_the_lists_cost_the_same_with_2_and_102_counties(longwan, client, role):
    for n in range(6):
        InstitutionFactory(street=street(WUMA if n % 2 else ZHUANGYUAN), credit_code=make_credit_code(881_000 + n))
    user = (
        UserFactory(role=Role.HEALTH_BUREAU)
        if role == "health"
        else UserFactory(role=Role.CITY_HEALTH_COMMISSION, city_code="3303")
    )
    few_admin, (few_api, few_count) = changelist_queries(client, user), api_queries(user)

    load_counties(100)
    assert County.objects.count() == 102

    many_admin, (many_api, many_count) = changelist_queries(client, user), api_queries(user)
    assert many_count == few_count  # the other counties' institutions stay out of both lists
    assert many_admin == few_admin
    assert many_api == few_api


def test_the_registration_template_lists_the_downloading_bureaus_own_streets(longwan_bureau):
    from io import BytesIO

    from openpyxl import load_workbook

    client = Client()
    client.force_login(longwan_bureau)
    response = client.get(reverse("admin:registry_registration_template"))
    assert response.status_code == 200
    sheet = load_workbook(BytesIO(response.content))["下拉选项"]
    listed = {value for row in sheet.iter_rows(values_only=True) for value in row}
    assert "状元街道" in listed and "五马街道" not in listed
