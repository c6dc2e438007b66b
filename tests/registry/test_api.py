"""The institutions API as another system sees it: /api/v1/institutions/ and /api/v1/auth/token/."""

import pytest
from rest_framework.test import APIClient
from rest_framework.throttling import UserRateThrottle

from luchen_care.accounts.api import LoginRateThrottle
from luchen_care.accounts.models import ApiToken, Role, api_token_hash
from registry.models import ClassType, Institution, InstitutionClass, InstitutionKind, InstitutionStatus, Ownership
from registry.validators import uscc_check_character
from tests.accounts.factories import api_token
from tests.factories import InstitutionClassFactory, InstitutionFactory, UserFactory, make_credit_code, street

pytestmark = pytest.mark.django_db

LIST = "/api/v1/institutions/"
TOKEN = "/api/v1/auth/token/"
WUMA, QIDU, BINJIANG = "330302006", "330302023", "330302024"


def detail(institution):
    return f"{LIST}{institution.pk}/"


def token_client(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(user)}")
    return client


def assert_error(response, status, code, fields=()):
    """The one documented error format: {"error": {"code", "message", "fields"}}."""
    assert response.status_code == status, response.content
    body = response.json()
    assert list(body) == ["error"]
    error = body["error"]
    assert set(error) == {"code", "message", "fields"}
    assert error["code"] == code
    assert isinstance(error["message"], str) and error["message"]
    assert set(error["fields"]) == set(fields)
    return error


def new_institution(**overrides):
    data = {
        "name": "温州市鹿城区小星星托育有限公司",
        "credit_code": make_credit_code(700001),
        "kind": InstitutionKind.STANDALONE,
        "ownership": Ownership.PRIVATE,
        "for_profit": True,
        "inclusive": False,
        "registration_authority": "market_regulation",
        "street": WUMA,
        "address": "温州市鹿城区五马街道解放街12号",
        "legal_representative": "陈丽娟",
        "contact_phone": "0577-88881234",
        "approved_places": 45,
        "classes": [
            {"class_type": ClassType.TODDLER, "class_count": 1, "capacity": 15},
            {"class_type": ClassType.OLDER, "class_count": 1, "capacity": 20},
        ],
    }
    data.update(overrides)
    return data


@pytest.fixture
def health(health_user):
    return token_client(health_user)


# --- token authentication -----------------------------------------------------------------


def test_a_username_and_password_give_a_token_that_authenticates(health_user, password):
    response = APIClient().post(TOKEN, {"username": "health", "password": password}, format="json")

    assert response.status_code == 200
    assert list(response.json()) == ["token", "expires_at", "name"]
    key = response.json()["token"]
    token = ApiToken.objects.get(user=health_user)
    assert token.name == "API" and token.key_hash == api_token_hash(key)  # the key itself is not stored

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get(LIST).status_code == 200


def test_asking_again_rotates_the_named_token_and_both_keys_work_for_the_overlap(health_user, password):
    body = {"username": "health", "password": password, "name": "区大数据管理中心"}
    first = APIClient().post(TOKEN, body, format="json").json()
    second = APIClient().post(TOKEN, body, format="json").json()
    assert first["token"] != second["token"] and first["name"] == second["name"] == "区大数据管理中心"
    for key in (first["token"], second["token"]):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        assert client.get(LIST).status_code == 200
    old = ApiToken.objects.get(key_hash=api_token_hash(first["token"]))
    assert old.state() == "expiring" and old.replaced_by.key_hash == api_token_hash(second["token"])


def test_a_wrong_password_is_refused_in_the_documented_format(health_user):
    response = APIClient().post(TOKEN, {"username": "health", "password": "wrong"}, format="json")

    error = assert_error(response, 400, "invalid", fields={"non_field_errors"})
    assert error["fields"]["non_field_errors"]
    # The message is for a person: no internal key in front of it.
    assert not error["message"].startswith("non_field_errors")
    assert not ApiToken.objects.exists()


def test_a_missing_password_is_named(health_user):
    response = APIClient().post(TOKEN, {"username": "health"}, format="json")
    assert_error(response, 400, "invalid", fields={"password"})


def test_messages_follow_the_callers_language(health_user):
    chinese = APIClient().post(TOKEN, {"username": "health"}, format="json").json()["error"]
    english = APIClient().post(TOKEN, {"username": "health"}, format="json", headers={"accept-language": "en"})
    (message,) = chinese["fields"]["password"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in message)  # Chinese unless asked otherwise
    assert english.json()["error"]["fields"]["password"] == ["This field is required."]
    assert english.json()["error"]["message"] == "password: This field is required."


def test_an_inactive_user_gets_no_token(health_user, password):
    health_user.is_active = False
    health_user.save()
    response = APIClient().post(TOKEN, {"username": "health", "password": password}, format="json")
    assert_error(response, 400, "invalid", fields={"non_field_errors"})


def test_without_credentials_the_api_answers_401():
    response = APIClient().get(LIST)
    assert_error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"].startswith("Token")


def test_an_unknown_token_is_refused():
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token 0123456789abcdef0123456789abcdef01234567")
    assert_error(client.get(LIST), 401, "authentication_failed")


def test_pages_may_use_the_session(client, health_user):
    InstitutionFactory()
    client.force_login(health_user)
    response = client.get(LIST)
    assert response.status_code == 200
    assert response.json()["count"] == 1


# --- list and retrieve ----------------------------------------------------------------------


def test_list_is_paginated_and_carries_the_documented_fields(health):
    head = InstitutionFactory(name="连锁总部")
    branch = InstitutionFactory(name="连锁分园", head_office=head, street=street(QIDU))
    InstitutionClassFactory(institution=branch, class_type=ClassType.INFANT, class_count=1, capacity=10)

    body = health.get(LIST).json()

    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 2
    row = next(r for r in body["results"] if r["id"] == branch.pk)
    assert row["name"] == "连锁分园"
    assert row["credit_code"] == branch.credit_code
    assert row["street"] == QIDU
    assert row["street_name"] == "七都街道"
    assert row["head_office"] == head.pk
    assert row["kind"] == "standalone"
    assert row["status"] == "operating"
    assert row["archived"] is False
    assert row["classes"] == [{"class_type": "infant", "class_count": 1, "capacity": 10}]


def test_retrieve_one_institution(health):
    inst = InstitutionFactory(name="鹿鸣托育")
    response = health.get(detail(inst))
    assert response.status_code == 200
    assert response.json()["name"] == "鹿鸣托育"


def test_an_unknown_id_is_a_404_in_the_documented_format(health):
    assert_error(health.get(f"{LIST}999999/"), 404, "not_found")


# --- create ---------------------------------------------------------------------------------


def test_the_health_bureau_registers_an_institution_with_its_classes(health, health_user):
    response = health.post(LIST, new_institution(), format="json")

    assert response.status_code == 201, response.content
    inst = Institution.objects.get(pk=response.json()["id"])
    assert inst.name == "温州市鹿城区小星星托育有限公司"
    assert inst.street.code == WUMA
    assert inst.created_by == health_user
    assert inst.registered_on is not None  # the date of the status is stamped
    assert sorted((c.class_type, c.capacity) for c in inst.classes.all()) == [("older", 20), ("toddler", 15)]
    assert inst.history.get().history_user == health_user
    class_history = InstitutionClass.history.filter(institution_id=inst.pk)
    assert {r.history_user for r in class_history} == {health_user}  # the token's user, for the classes too
    assert response.json()["classes"] == [
        {"class_type": "older", "class_count": 1, "capacity": 20},
        {"class_type": "toddler", "class_count": 1, "capacity": 15},
    ]


def test_an_invalid_credit_code_is_refused_naming_the_field(health):
    good = make_credit_code(700002)
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")

    response = health.post(LIST, new_institution(credit_code=bad), format="json")

    error = assert_error(response, 400, "invalid", fields={"credit_code"})
    assert error["message"].startswith("credit_code")
    assert error["fields"]["credit_code"]
    assert not Institution.objects.exists()


def test_a_valid_code_that_starts_with_a_letter_is_accepted(health):
    body = "Y1330302MA2L7Q8N1"
    code = body + uscc_check_character(body)

    response = health.post(LIST, new_institution(credit_code=code, kind="family"), format="json")

    assert response.status_code == 201, response.content
    assert Institution.objects.get().credit_code == code


def test_a_credit_code_is_stored_in_capitals(health):
    code = make_credit_code(700003, first="Y", second="1")
    response = health.post(LIST, new_institution(credit_code=f" {code.lower()} "), format="json")
    assert response.status_code == 201, response.content
    assert Institution.objects.get().credit_code == code


def test_a_credit_code_already_registered_is_refused(health):
    existing = InstitutionFactory()
    response = health.post(LIST, new_institution(credit_code=existing.credit_code.lower()), format="json")
    assert_error(response, 400, "invalid", fields={"credit_code"})
    assert Institution.objects.count() == 1


def test_every_invalid_field_is_keyed_by_its_name(health):
    response = health.post(
        LIST,
        new_institution(street="330302999", kind="castle", contact_phone="12345", approved_places=-1, name=""),
        format="json",
    )
    error = assert_error(
        response, 400, "invalid", fields={"street", "kind", "contact_phone", "approved_places", "name"}
    )
    assert all(isinstance(m, str) for messages in error["fields"].values() for m in messages)


def test_class_errors_are_keyed_under_classes(health):
    twice = [
        {"class_type": "toddler", "class_count": 1, "capacity": 15},
        {"class_type": "toddler", "class_count": 2, "capacity": 30},
    ]
    assert_error(health.post(LIST, new_institution(classes=twice), format="json"), 400, "invalid", {"classes"})

    zero = [{"class_type": "toddler", "class_count": 1, "capacity": 0}]
    error = assert_error(health.post(LIST, new_institution(classes=zero), format="json"), 400, "invalid", {"classes"})
    # Nested errors keep their place: the first class's capacity.
    assert list(error["fields"]["classes"]["0"]) == ["capacity"]
    assert error["message"].startswith("classes.0.capacity: ")
    assert not Institution.objects.exists()


def test_malformed_json_is_refused_in_the_documented_format(health):
    response = health.post(LIST, "{not json", content_type="application/json")
    assert_error(response, 400, "parse_error")


def test_a_list_instead_of_an_object_is_refused(health):
    response = health.post(LIST, [new_institution()], format="json")
    assert_error(response, 400, "invalid", fields={"non_field_errors"})


def test_an_institution_cannot_be_its_own_head_office(health):
    inst = InstitutionFactory()
    response = health.patch(detail(inst), {"head_office": inst.pk}, format="json")
    assert_error(response, 400, "invalid", fields={"head_office"})
    inst.refresh_from_db()
    assert inst.head_office is None


# --- update ---------------------------------------------------------------------------------


def test_patch_changes_the_given_fields_and_records_who(health, health_user):
    inst = InstitutionFactory(name="旧名称", approved_places=30)

    response = health.patch(detail(inst), {"name": "新名称", "approved_places": 60}, format="json")

    assert response.status_code == 200, response.content
    inst.refresh_from_db()
    assert (inst.name, inst.approved_places) == ("新名称", 60)
    assert inst.modified_by == health_user
    latest = inst.history.latest()
    assert latest.history_user == health_user
    changed = {c.field for c in latest.diff_against(latest.prev_record).changes}
    assert {"name", "approved_places"} <= changed


def test_put_replaces_the_institution_and_its_classes(health):
    inst = InstitutionFactory(status=InstitutionStatus.REGISTERED)
    InstitutionClassFactory(institution=inst, class_type=ClassType.INFANT)
    data = new_institution(
        credit_code=inst.credit_code,
        classes=[{"class_type": "mixed", "class_count": 2, "capacity": 36}],
    )

    response = health.put(detail(inst), data, format="json")

    assert response.status_code == 200, response.content
    inst.refresh_from_db()
    assert inst.name == data["name"]
    assert inst.status == InstitutionStatus.REGISTERED  # a PUT does not move the status: the steps do
    assert [(c.class_type, c.class_count, c.capacity) for c in inst.classes.all()] == [("mixed", 2, 36)]


def test_a_patch_of_the_status_is_refused_on_the_status_field_and_changes_nothing(health):
    inst = InstitutionFactory(status=InstitutionStatus.REGISTERED)
    rows = inst.history.count()
    for status in ("operating", "filed", "registered"):
        response = health.patch(detail(inst), {"status": status}, format="json")
        error = assert_error(response, 400, "invalid", fields={"status"})
        assert error["message"].startswith("status")
    inst.refresh_from_db()
    assert inst.status == InstitutionStatus.REGISTERED and inst.filed_on is None
    assert inst.history.count() == rows


def test_closing_archives_and_then_the_institution_is_read_only(health, health_user):
    inst = InstitutionFactory()

    response = health.post(f"{detail(inst)}close/", {"reason": "注销登记，幼儿已妥善安置"}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["archived"] is True
    inst.refresh_from_db()
    assert inst.archived and inst.archived_by == health_user and inst.closed_on is not None

    response = health.patch(detail(inst), {"name": "复活"}, format="json")
    assert_error(response, 403, "permission_denied")
    inst.refresh_from_db()
    assert inst.name != "复活"
    # Still listed: archived, not deleted.
    assert health.get(detail(inst)).status_code == 200


def test_institutions_are_never_deleted(health):
    inst = InstitutionFactory()
    assert_error(health.delete(detail(inst)), 405, "method_not_allowed")
    assert Institution.objects.filter(pk=inst.pk).exists()


# --- filters, search, ordering, pagination --------------------------------------------------


@pytest.fixture
def spread(db):
    return {
        "wuma_private": InstitutionFactory(name="五马贝乐托育", street=street(WUMA), inclusive=False),
        "wuma_nursery": InstitutionFactory(
            name="五马幼儿园托班",
            street=street(WUMA),
            nursery_class=True,
            inclusive=True,
            status=InstitutionStatus.FILED,
            approved_places=20,
        ),
        "qidu_family": InstitutionFactory(
            name="七都果果家庭托育点",
            street=street(QIDU),
            kind=InstitutionKind.FAMILY,
            inclusive=True,
            status=InstitutionStatus.SUSPENDED,
            approved_places=5,
        ),
        "binjiang_community": InstitutionFactory(
            name="滨江社区嵌入式托育中心",
            street=street(BINJIANG),
            kind=InstitutionKind.COMMUNITY,
            ownership=Ownership.PUBLIC,
            for_profit=False,
            status=InstitutionStatus.REGISTERED,
            approved_places=80,
        ),
    }


def names(response):
    assert response.status_code == 200, response.content
    return {row["name"] for row in response.json()["results"]}


@pytest.mark.parametrize(
    "query, expected",
    [
        ({"street": WUMA}, {"五马贝乐托育", "五马幼儿园托班"}),
        ({"street": QIDU}, {"七都果果家庭托育点"}),
        ({"kind": "nursery_class"}, {"五马幼儿园托班"}),
        ({"kind": ["family", "community"]}, {"七都果果家庭托育点", "滨江社区嵌入式托育中心"}),
        ({"ownership": "public"}, {"五马幼儿园托班", "滨江社区嵌入式托育中心"}),
        ({"inclusive": "true"}, {"五马幼儿园托班", "七都果果家庭托育点"}),
        ({"inclusive": "false"}, {"五马贝乐托育", "滨江社区嵌入式托育中心"}),
        ({"inclusive": "1"}, {"五马幼儿园托班", "七都果果家庭托育点"}),
        ({"status": "suspended"}, {"七都果果家庭托育点"}),
        ({"status": ["filed", "registered"]}, {"五马幼儿园托班", "滨江社区嵌入式托育中心"}),
        ({"street": WUMA, "inclusive": "true"}, {"五马幼儿园托班"}),
        ({"search": "家庭托育"}, {"七都果果家庭托育点"}),
    ],
)
def test_filters(health, spread, query, expected):
    assert names(health.get(LIST, query)) == expected


def test_filter_by_chain_head_office(health, spread):
    head = spread["wuma_private"]
    InstitutionFactory(name="七都贝乐分园", street=street(QIDU), head_office=head)
    assert names(health.get(LIST, {"head_office": head.pk})) == {"七都贝乐分园"}
    assert names(health.get(LIST, {"head_office": 999999})) == set()


def test_search_finds_a_credit_code(health, spread):
    code = spread["binjiang_community"].credit_code
    assert names(health.get(LIST, {"search": code})) == {"滨江社区嵌入式托育中心"}


def test_an_invalid_filter_value_is_refused_naming_the_filter(health, spread):
    assert_error(health.get(LIST, {"kind": "castle"}), 400, "invalid", fields={"kind"})
    assert_error(health.get(LIST, {"status": "dreaming"}), 400, "invalid", fields={"status"})


def test_ordering(health, spread):
    rows = health.get(LIST, {"ordering": "-approved_places"}).json()["results"]
    assert [r["approved_places"] for r in rows] == [80, 50, 20, 5]
    rows = health.get(LIST, {"ordering": "name"}).json()["results"]
    assert [r["name"] for r in rows] == sorted(r["name"] for r in rows)


def test_page_size(health):
    InstitutionFactory.create_batch(7)

    first = health.get(LIST, {"page_size": 3}).json()
    assert first["count"] == 7
    assert len(first["results"]) == 3
    assert "page_size=3" in first["next"]
    third = health.get(LIST, {"page_size": 3, "page": 3}).json()
    assert len(third["results"]) == 1
    assert third["next"] is None
    seen = {r["id"] for r in first["results"]} | {r["id"] for r in third["results"]}
    assert len(seen) == 4

    assert len(health.get(LIST).json()["results"]) == 7  # default page is 20
    assert_error(health.get(LIST, {"page_size": 3, "page": 9}), 404, "not_found")


# --- throttling -----------------------------------------------------------------------------


def _allowed(throttle_class):
    """How many requests the configured rate lets through (settings ``DEFAULT_THROTTLE_RATES``)."""
    return throttle_class().num_requests


def test_anonymous_clients_are_throttled_in_the_documented_format(health_user):
    client = APIClient()
    for _ in range(_allowed(LoginRateThrottle)):  # the token endpoint's own throttle, per address
        assert client.post(TOKEN, {"username": "health"}, format="json").status_code == 400

    response = client.post(TOKEN, {"username": "health", "password": "wrong"}, format="json")

    assert_error(response, 429, "throttled")
    assert int(response["Retry-After"]) > 0


def test_token_clients_are_throttled_per_user(api_user):
    client = token_client(api_user)
    for _ in range(_allowed(UserRateThrottle)):
        assert client.get("/api/v1/streets/").status_code == 200

    assert_error(client.get(LIST), 429, "throttled")
    # Another client is not held back by the first one's traffic.
    other = token_client(UserFactory(role=Role.API_CLIENT, is_staff=False))
    assert other.get(LIST).status_code == 200


# --- malformed query parameters are refused, not ignored ------------------------------------------


@pytest.mark.parametrize(
    "query, field",
    [
        ("page_size=abc", "page_size"),
        ("page_size=0", "page_size"),
        ("page_size=100000", "page_size"),
        ("ordering=bogus", "ordering"),
        ("ordering=name,-nonsense", "ordering"),
        ("street=330302999", "street"),
        ("kind=castle", "kind"),
    ],
)
def test_a_malformed_query_parameter_is_a_400_naming_it(query, field, health_user):
    client = APIClient()
    client.force_authenticate(health_user)

    response = client.get(f"/api/v1/institutions/?{query}")

    assert response.status_code == 400, response.content
    assert field in response.json()["error"]["fields"]


# --- boolean and choice filters: an invalid value is a 400 naming the parameter -------------------------

REGISTRATIONS = "/api/v1/registrations/"


@pytest.mark.parametrize(
    "url, query, field",
    [
        (LIST, "inclusive=maybe", "inclusive"),
        (LIST, "for_profit=yes", "for_profit"),
        (LIST, "livelihood_project=2", "livelihood_project"),
        (LIST, "ownership=castle", "ownership"),
        (LIST, "registration_authority=nobody", "registration_authority"),
        (REGISTRATIONS, "overdue=yes", "overdue"),
        (REGISTRATIONS, "overdue=no", "overdue"),
        (REGISTRATIONS, "push_deadline_provisional=maybe", "push_deadline_provisional"),
        (REGISTRATIONS, "authority=nobody", "authority"),
        (REGISTRATIONS, "kind=castle", "kind"),
        (REGISTRATIONS, "push_status=lost", "push_status"),
    ],
)
def test_an_invalid_boolean_or_choice_filter_is_a_400_naming_it(health, url, query, field):
    error = assert_error(health.get(f"{url}?{query}"), 400, "invalid", fields={field})
    assert error["message"].startswith(f"{field}: ")


@pytest.mark.parametrize("value", ["true", "TRUE", "True", "1", "false", "False", "0"])
def test_boolean_filters_take_true_false_1_0_in_any_case(health, spread, value):
    expected = {"五马幼儿园托班", "七都果果家庭托育点"}
    if value.lower() in ("false", "0"):
        expected = {"五马贝乐托育", "滨江社区嵌入式托育中心"}
    assert names(health.get(LIST, {"inclusive": value})) == expected
    assert health.get(REGISTRATIONS, {"overdue": value}).status_code == 200


# --- the SLA report's query: bounded as the schema says ---------------------------------------------------


@pytest.mark.parametrize(
    "query, fields",
    [
        ({"year": 10000}, {"year"}),
        ({"year": 1999}, {"year"}),
        ({"year": 2101}, {"year"}),
        ({"year": "last"}, {"year"}),
        ({"authority": "police"}, {"authority"}),
        ({"year": -5, "authority": "police"}, {"year", "authority"}),
    ],
)
def test_an_sla_query_out_of_bounds_is_a_400_naming_it(health, query, fields):
    assert_error(health.get(f"{REGISTRATIONS}sla/", query), 400, "invalid", fields=fields)


@pytest.mark.parametrize("query", [{}, {"year": 2000}, {"year": 2100}, {"authority": "civil_affairs", "year": 2026}])
def test_an_sla_query_within_bounds_is_answered(health, query):
    response = health.get(f"{REGISTRATIONS}sla/", query)
    assert response.status_code == 200, response.content
    assert set(response.json()) == {"rows", "by_authority", "by_month", "overall"}


# --- found by schemathesis ----------------------------------------------------------------------------------


def test_a_patch_with_an_incomplete_class_is_a_400_naming_what_is_missing(health):
    institution = InstitutionFactory()
    response = health.patch(detail(institution), {"classes": [{"class_count": 1}]}, format="json")
    error = assert_error(response, 400, "invalid", fields={"classes"})
    assert set(error["fields"]["classes"][0]) == {"class_type", "capacity"}


@pytest.mark.parametrize("query", ["status=", "kind=", "inclusive=", "street=", "ordering=", "page_size="])
def test_an_empty_filter_value_means_not_given(health, spread, query):
    assert len(names(health.get(f"{LIST}?{query}"))) == 4
