"""The institutions list (read as plain rows by ``institution_list_rows``) shows what the serializer shows.

For every role and API grant, ``GET /api/v1/institutions/`` answers, record for record, what
``InstitutionSerializer`` (detail, writes and the schema) makes of the same institutions. A field
masked for a role in one of them and not in the other fails here.
"""

import datetime as dt
import json

import pytest
from django.test import RequestFactory
from django.utils import timezone
from rest_framework.renderers import JSONRenderer
from rest_framework.test import APIClient

from luchen_care.accounts.models import Authority, Role
from registry.api.institutions import InstitutionSerializer
from registry.models import (
    ClassType,
    DemonstrationLevel,
    Institution,
    InstitutionKind,
    InstitutionStatus,
    Street,
)
from registry.selectors.institutions import institution_list, institution_list_rows
from tests.accounts.factories import api_token
from tests.factories import InstitutionClassFactory, InstitutionFactory, UserFactory, street

pytestmark = pytest.mark.django_db

LIST = "/api/v1/institutions/"
WUMA, SONGTAI, QIDU = "330302006", "330302026", "330302023"


@pytest.fixture
def district(db):
    """Institutions that between them give every field each of its forms."""
    head = InstitutionFactory(
        name="连锁总部", street=street(WUMA), demonstration_level=DemonstrationLevel.CITY, inclusive=True
    )
    made = {
        "head": head,
        "branch": InstitutionFactory(
            name="连锁分园",
            head_office=head,
            kind=InstitutionKind.COMMUNITY,
            street=street(QIDU),
            registration_authority=Authority.CIVIL_AFFAIRS,
            registered_on=dt.date(2024, 3, 1),
            filed_on=dt.date(2024, 4, 2),
            operating_since=dt.date(2024, 5, 3),
            livelihood_project=True,
        ),
        "nursery": InstitutionFactory(
            name="幼儿园托班",
            nursery_class=True,
            registration_authority="",
            street=street(SONGTAI),
            status=InstitutionStatus.FILED,
            demonstration_level=DemonstrationLevel.PROVINCIAL,
        ),
        "employer": InstitutionFactory(
            name="职工托育点",
            kind=InstitutionKind.EMPLOYER,
            registration_authority=Authority.ESTABLISHMENT_OFFICE,
            street=street(SONGTAI),
            contact_phone="",  # blank until it files
            status=InstitutionStatus.REGISTERED,
            registered_on=dt.date(2025, 2, 28),
        ),
        "family": InstitutionFactory(
            name="家庭托育点",
            kind=InstitutionKind.FAMILY,
            street=street(WUMA),
            status=InstitutionStatus.SUSPENDED,
            operating_since=dt.date(2023, 9, 1),
            suspended_on=dt.date(2025, 1, 15),
        ),
        "closed": InstitutionFactory(
            name="已关闭机构",
            street=street(QIDU),
            status=InstitutionStatus.CLOSED,
            closed_on=dt.date(2025, 6, 30),
            archived=True,
        ),
    }
    # Classes given out of type order (the API lists them by type); "employer" and "closed" have none.
    InstitutionClassFactory(institution=head, class_type=ClassType.TODDLER, class_count=2, capacity=30)
    InstitutionClassFactory(institution=head, class_type=ClassType.INFANT, class_count=1, capacity=10)
    InstitutionClassFactory(institution=head, class_type=ClassType.OLDER, class_count=1, capacity=20)
    InstitutionClassFactory(institution=made["branch"], class_type=ClassType.MIXED, class_count=1, capacity=18)
    InstitutionClassFactory(institution=made["nursery"], class_type=ClassType.OLDER, class_count=3, capacity=60)
    InstitutionClassFactory(institution=made["family"], class_type=ClassType.INFANT, class_count=1, capacity=5)
    # Null dates, whatever the lifecycle stamps on save: none at all for the head office (on paper before
    # the platform). A timestamp on the hour in UTC, no microseconds ("…T00:00:00Z" in UTC); the rest carry
    # microseconds.
    Institution.objects.filter(pk=head.pk).update(
        registered_on=None,
        filed_on=None,
        operating_since=None,
        suspended_on=None,
        closed_on=None,
        created_at=dt.datetime(2025, 6, 1, 0, 0, tzinfo=dt.UTC),
    )
    return made


def narrowed_api_client():
    user = UserFactory(role=Role.API_CLIENT, is_staff=False, scope_kinds=[InstitutionKind.STANDALONE])
    user.scope_streets.set(Street.objects.filter(code__in=[WUMA, QIDU]))
    return user


EVERYTHING = {"head", "branch", "nursery", "employer", "family", "closed"}

# Every role and grant: how to make its user (given the district), and the institutions it sees.
ROLES = {
    "health_bureau": (lambda d: UserFactory(role=Role.HEALTH_BUREAU), EVERYTHING),
    "education_bureau": (lambda d: UserFactory(role=Role.EDUCATION_BUREAU), {"nursery"}),
    "market_regulation": (
        lambda d: UserFactory(role=Role.REGISTRATION_AUTHORITY, authority=Authority.MARKET_REGULATION),
        {"head", "family", "closed"},
    ),
    "civil_affairs": (
        lambda d: UserFactory(role=Role.REGISTRATION_AUTHORITY, authority=Authority.CIVIL_AFFAIRS),
        {"branch"},
    ),
    "establishment_office": (
        lambda d: UserFactory(role=Role.REGISTRATION_AUTHORITY, authority=Authority.ESTABLISHMENT_OFFICE),
        {"employer"},
    ),
    "street_office": (
        lambda d: UserFactory(role=Role.STREET_OFFICE, street=street(SONGTAI)),
        {"nursery", "employer"},
    ),
    "institution_head_office": (
        lambda d: UserFactory(role=Role.INSTITUTION, institution=d["head"], is_staff=False),
        {"head", "branch"},
    ),
    "api_client_all": (lambda d: UserFactory(role=Role.API_CLIENT, is_staff=False), EVERYTHING),
    "api_client_personal_data": (
        lambda d: UserFactory(role=Role.API_CLIENT, is_staff=False, scope_personal_data=True),
        EVERYTHING,
    ),
    "api_client_narrowed": (lambda d: narrowed_api_client(), {"head", "closed"}),
    "superuser": (lambda d: UserFactory(role="", is_superuser=True), EVERYTHING),
}


def serializer_output(user, queryset):
    """What the serializer gives for ``queryset``, as a client reads it (through the JSON renderer)."""
    request = RequestFactory().get(LIST)
    request.user = user
    data = InstitutionSerializer(queryset, many=True, context={"request": request}).data
    return json.loads(JSONRenderer().render(data))


def token_client(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(user)}")
    return client


@pytest.mark.parametrize("role", list(ROLES))
def test_the_list_shows_what_the_serializer_shows_for_every_role_and_grant(district, role):
    make_user, expected = ROLES[role]
    user = make_user(district)

    response = token_client(user).get(LIST, {"page_size": 500})

    assert response.status_code == 200, response.content
    listed = response.json()["results"]
    assert {row["id"] for row in listed} == {district[name].pk for name in expected}
    assert listed == serializer_output(user, institution_list(user=user).order_by("id"))
    assert all(list(row) == list(InstitutionSerializer().fields) for row in listed)  # the same keys, in order


@pytest.mark.parametrize("zone", ["Asia/Shanghai", "UTC"])
@pytest.mark.parametrize("role", ["health_bureau", "api_client_narrowed"])
def test_the_rows_and_the_serializer_agree_in_any_time_zone_and_order(district, role, zone):
    user = ROLES[role][0](district)
    with timezone.override(zone):
        for ordering in (["id"], ["-name"], ["street__code", "name"]):
            rows = institution_list_rows(user=user, queryset=institution_list(user=user).order_by(*ordering))
            assert json.loads(JSONRenderer().render(rows)) == serializer_output(
                user, institution_list(user=user).order_by(*ordering)
            )
        if role == "health_bureau":
            (head,) = (row for row in rows if row["id"] == district["head"].pk)
            assert head["created_at"] == ("2025-06-01T00:00:00Z" if zone == "UTC" else "2025-06-01T08:00:00+08:00")


def test_every_form_of_every_field_is_exercised(district, health_user):
    rows = {row["id"]: row for row in token_client(health_user).get(LIST).json()["results"]}
    by_name = {name: rows[inst.pk] for name, inst in district.items()}

    assert {row["kind"] for row in rows.values()} == set(InstitutionKind.values)
    assert by_name["branch"]["head_office"] == district["head"].pk and by_name["head"]["head_office"] is None
    assert by_name["head"]["classes"] == [
        {"class_type": "infant", "class_count": 1, "capacity": 10},
        {"class_type": "older", "class_count": 1, "capacity": 20},
        {"class_type": "toddler", "class_count": 2, "capacity": 30},
    ]
    assert by_name["employer"]["classes"] == [] and by_name["closed"]["classes"] == []
    assert by_name["employer"]["contact_phone"] == ""
    assert by_name["nursery"]["registration_authority"] == "" and by_name["head"]["demonstration_level"] == "city"
    assert all(by_name["head"][name] is None for name in ("registered_on", "filed_on", "closed_on"))
    assert by_name["branch"]["filed_on"] == "2024-04-02" and by_name["employer"]["suspended_on"] is None
    assert by_name["closed"]["archived"] is True and by_name["closed"]["closed_on"] == "2025-06-30"
    assert by_name["branch"]["street"] == QIDU and by_name["branch"]["street_name"] == "七都街道"
    assert by_name["head"]["created_at"] == "2025-06-01T08:00:00+08:00"
    assert by_name["branch"]["modified_at"].endswith("+08:00")


@pytest.mark.parametrize(
    "role, in_full",
    [("api_client_all", False), ("api_client_personal_data", True), ("health_bureau", True), ("street_office", True)],
)
def test_personal_fields_are_masked_unless_the_role_or_the_grant_reads_them(district, role, in_full):
    make_user, _expected = ROLES[role]
    user = make_user(district)
    client = token_client(user)
    listed = client.get(LIST, {"page_size": 500}).json()["results"]
    detail = client.get(f"{LIST}{listed[0]['id']}/").json()
    stored = Institution.objects.get(pk=listed[0]["id"])
    for row in (listed[0], detail):
        shown = (row["legal_representative"], row["contact_phone"])
        if in_full:
            assert shown == (stored.legal_representative, stored.contact_phone)
        else:
            assert shown[0] == stored.legal_representative[0] + "*" * (len(stored.legal_representative) - 1)
            assert stored.contact_phone == "" or ("****" in shown[1] and shown[1][-4:] == stored.contact_phone[-4:])
            assert shown != (stored.legal_representative, stored.contact_phone)
