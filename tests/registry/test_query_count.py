"""The queries behind GET /api/v1/institutions/ do not grow with the page size."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from luchen_care.accounts.models import Role
from registry.models import ClassType, InstitutionKind, Street
from tests.accounts.factories import api_token
from tests.factories import InstitutionClassFactory, InstitutionFactory, UserFactory, street

pytestmark = pytest.mark.django_db

LIST = "/api/v1/institutions/"


@pytest.fixture
def district(db):
    """120 institutions over every street, each with two classes, every fourth a chain branch."""
    streets = list(Street.objects.all())
    kinds = list(InstitutionKind.values)
    heads = []
    for n in range(120):
        inst = InstitutionFactory(
            street=streets[n % len(streets)],
            kind=kinds[n % len(kinds)],
            head_office=heads[n % len(heads)] if heads and n % 4 == 3 else None,
        )
        if n < 5 and inst.head_office is None:  # chains are one level deep (Institution.clean)
            heads.append(inst)
        InstitutionClassFactory(institution=inst, class_type=ClassType.TODDLER)
        InstitutionClassFactory(institution=inst, class_type=ClassType.OLDER, capacity=20)


def queries_for(client, params):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(LIST, params)
    assert response.status_code == 200, response.content
    return len(ctx.captured_queries), response.json()


def token_client(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(user)}")
    # A token's first use records it (one UPDATE, then at most once a minute): not a cost of the page.
    assert client.get(LIST, {"page_size": 1}).status_code == 200
    return client


@pytest.mark.parametrize(
    "make_user",
    [
        lambda: UserFactory(role=Role.HEALTH_BUREAU),
        lambda: UserFactory(role=Role.STREET_OFFICE, street=street("330302006")),
        lambda: UserFactory(role=Role.EDUCATION_BUREAU),
        lambda: UserFactory(role=Role.API_CLIENT, is_staff=False),
    ],
    ids=["health_bureau", "street_office", "education_bureau", "api_client"],
)
def test_the_list_costs_the_same_for_5_and_100_rows(district, make_user):
    client = token_client(make_user())

    small, small_body = queries_for(client, {"page_size": 5})
    large, large_body = queries_for(client, {"page_size": 100})

    assert len(small_body["results"]) == min(5, small_body["count"])
    assert len(large_body["results"]) == min(100, large_body["count"])
    assert all(len(row["classes"]) == 2 for row in large_body["results"])
    assert small == large
    assert large <= 6  # token, count, page, classes, and at most a little more


def test_filters_search_and_ordering_do_not_add_queries_per_row(district):
    client = token_client(UserFactory(role=Role.HEALTH_BUREAU))
    params = {"kind": ["standalone", "community"], "inclusive": "false", "search": "托育", "ordering": "-name"}

    small, _ = queries_for(client, {**params, "page_size": 5})
    large, body = queries_for(client, {**params, "page_size": 100})

    assert body["count"] > 5
    assert small == large


def test_an_api_client_with_a_scope_costs_the_same_for_5_and_100_rows(district):
    user = UserFactory(role=Role.API_CLIENT, is_staff=False, scope_kinds=[InstitutionKind.STANDALONE])
    user.scope_streets.set(Street.objects.all()[:10])
    client = token_client(user)

    small, _ = queries_for(client, {"page_size": 5})
    large, body = queries_for(client, {"page_size": 100})

    assert body["count"] > 5
    assert small == large
