"""Searching institutions, in the API (``?search=``) and the admin (``?q=``): any part of a name,
credit code or address, case aside, in the caller's scope; and the changelist's street filter and
order. On PostgreSQL the search is narrowed by the character-pair index (migration 0019) first;
the answers must be exactly those of a plain ``icontains`` search."""

import pytest
from django.db import connection
from django.urls import reverse
from rest_framework.test import APIClient

from registry.models import Institution, Street
from registry.selectors.institutions import institution_search_narrowed
from tests.accounts.factories import api_token
from tests.factories import InstitutionFactory, make_credit_code, street

pytestmark = pytest.mark.django_db

LIST = "/api/v1/institutions/"
CHANGELIST = reverse("admin:registry_institution_changelist")
WUMA, QIDU = "330302006", "330302023"


@pytest.fixture
def places(db):
    made = {
        "aibei": InstitutionFactory(name="爱贝托育中心", street=street(WUMA), credit_code=make_credit_code(7001)),
        "aibei_qidu": InstitutionFactory(name="七都爱贝分园", street=street(QIDU), credit_code=make_credit_code(7002)),
        "latin": InstitutionFactory(name="ABC Kids 托育", street=street(WUMA), credit_code=make_credit_code(7003)),
        "by_address": InstitutionFactory(
            name="小星星托育",
            street=street(WUMA),
            address="温州市鹿城区五马街道爱贝路8号",
            credit_code=make_credit_code(7004),
        ),
        "percent": InstitutionFactory(name="百分之100%托育", street=street(WUMA), credit_code=make_credit_code(7005)),
        "other": InstitutionFactory(name="红黄蓝亲子园", street=street(QIDU), credit_code=make_credit_code(7006)),
    }
    return {key: inst.pk for key, inst in made.items()}


def api_ids(user, term):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(user)}")
    response = client.get(LIST, {"search": term, "page_size": 100})
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}, response.json()["count"]


def ids(places, *keys):
    return {places[key] for key in keys}


@pytest.mark.parametrize(
    "term, expected",
    [
        ("爱贝", {"aibei", "aibei_qidu", "by_address"}),  # two characters: a name or an address
        ("爱贝托育", {"aibei"}),
        ("abc kids", {"latin"}),  # two terms, both in the name, case aside
        ("kIdS", {"latin"}),
        ("爱", {"aibei", "aibei_qidu", "by_address"}),  # one character: no pair, the scan decides
        ("100%", {"percent"}),  # a LIKE wildcard is a plain character
        ("0%托", {"percent"}),
        ("%", {"percent"}),
        ("_", set()),
        ("爱贝 七都", {"aibei_qidu"}),  # every term must be found
        ("贝爱", set()),  # the pairs alone do not match: the order of the characters does
        ("不存在的机构", set()),
    ],
)
def test_the_api_search_finds_any_part_of_a_name_or_address(health_user, places, term, expected):
    found, count = api_ids(health_user, term)
    assert found == ids(places, *expected)
    assert count == len(expected)


def test_the_api_search_finds_part_of_a_credit_code(health_user, places):
    code = make_credit_code(7004)
    found, _ = api_ids(health_user, code[-6:].lower())
    assert found == ids(places, "by_address")


def test_a_street_office_searches_its_own_street_only(wuma_user, places):
    found, count = api_ids(wuma_user, "爱贝")
    assert found == ids(places, "aibei", "by_address") and count == 2


def admin_ids(client, **query):
    response = client.get(CHANGELIST, query)
    assert response.status_code == 200
    return [inst.pk for inst in response.context["cl"].result_list]


@pytest.mark.parametrize(
    "q, expected",
    [
        ("爱贝", {"aibei", "aibei_qidu"}),  # the admin searches names and credit codes
        ('"abc kids"', {"latin"}),  # a quoted phrase is one term
        ("爱", {"aibei", "aibei_qidu"}),
        ("100%", {"percent"}),
        ("贝爱", set()),
    ],
)
def test_the_admin_search_finds_names_and_codes(admin_client_for, health_user, places, q, expected):
    assert set(admin_ids(admin_client_for(health_user), q=q)) == ids(places, *expected)


def test_the_narrowing_uses_the_pair_index_and_changes_no_answer(health_user, places):
    assert connection.vendor == "postgresql"  # the suite's database; the embedded SQLite default scans
    searched = Institution.objects.filter(name__icontains="爱贝")
    narrowed = institution_search_narrowed(searched, ["爱贝"])
    assert set(narrowed.values_list("pk", flat=True)) == set(searched.values_list("pk", flat=True))
    with connection.cursor() as cursor:
        # A six-row table would be scanned anyway: only the index's use is in question here.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        sql, params = narrowed.order_by().query.sql_with_params()
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "registry_inst_grams_idx" in plan, plan


def test_the_street_filter_offers_the_streets_of_the_users_institutions(
    admin_client_for, health_user, wuma_user, places
):
    def offered(user):
        response = admin_client_for(user).get(CHANGELIST)
        specs = [s for s in response.context["cl"].filter_specs if getattr(s, "field_path", None) == "street"]
        return [name for _pk, name in specs[0].lookup_choices] if specs else None

    assert Street.objects.filter(county=street(WUMA).county).count() == 14
    assert offered(health_user) == [street(WUMA).name, street(QIDU).name]  # in code order, none empty
    assert offered(wuma_user) is None  # its own street only: nothing to choose, no filter


def test_the_changelist_lists_by_street_then_name(admin_client_for, health_user, places):
    shown = admin_ids(admin_client_for(health_user))
    rows = Institution.objects.in_bulk(shown)
    keys = [(rows[pk].street_id, rows[pk].name, pk) for pk in shown]
    assert keys == sorted(keys) and len(shown) == len(places)


def test_a_filtered_changelist_says_how_many_it_found(admin_client_for, health_user, places):
    client = admin_client_for(health_user)
    page = client.get(CHANGELIST, {"q": "爱贝"}).content.decode()
    assert "2 条结果。" in page and "显示全部" in page  # not counting the whole district again
    whole = client.get(CHANGELIST).content.decode()
    assert "条结果。" not in whole and "显示全部" not in whole  # the whole list: nothing to show all of
    assert "6 托育机构" in whole
