"""Who sees and changes which institutions — the same answer in the API, the admin and the Excel export."""

from io import BytesIO

import pytest
from django.urls import reverse
from openpyxl import load_workbook
from rest_framework.test import APIClient

from luchen_care.accounts.models import Authority, Role
from registry.models import Institution, InstitutionKind
from tests.factories import InstitutionFactory, UserFactory, make_credit_code, street

pytestmark = pytest.mark.django_db

API = "/api/v1/institutions/"
CHANGELIST = reverse("admin:registry_institution_changelist")
EXPORT = reverse("admin:registry_institution_export")
WUMA, QIDU, BINJIANG, SONGTAI = "330302006", "330302023", "330302024", "330302026"


@pytest.fixture
def world(db):
    """Seven institutions across four streets, every kind of relation a role cares about."""
    head = InstitutionFactory(
        name="滨江彩虹树托育（连锁总部）",
        street=street(BINJIANG),
        kind=InstitutionKind.COMMUNITY,
        registration_authority=Authority.CIVIL_AFFAIRS,
        for_profit=False,
    )
    return {
        "wuma_standalone": InstitutionFactory(name="五马贝乐托育", street=street(WUMA)),
        "wuma_nursery": InstitutionFactory(
            name="五马实验幼儿园托班",
            street=street(WUMA),
            nursery_class=True,
            registration_authority=Authority.ESTABLISHMENT_OFFICE,
        ),
        "qidu_standalone": InstitutionFactory(
            name="七都小海豚托育", street=street(QIDU), registration_authority=Authority.CIVIL_AFFAIRS, for_profit=False
        ),
        "qidu_nursery": InstitutionFactory(
            name="七都幼儿园托班",
            street=street(QIDU),
            nursery_class=True,
            registration_authority=Authority.ESTABLISHMENT_OFFICE,
        ),
        "head": head,
        "branch": InstitutionFactory(
            name="松台彩虹树托育（分园）",
            street=street(SONGTAI),
            kind=InstitutionKind.COMMUNITY,
            head_office=head,
            registration_authority=Authority.CIVIL_AFFAIRS,
            for_profit=False,
        ),
        "binjiang_family": InstitutionFactory(
            name="滨江果果家庭托育点", street=street(BINJIANG), kind=InstitutionKind.FAMILY
        ),
    }


def names_of(world, *keys):
    return {world[k].name for k in keys}


def api_names(user):
    client = APIClient()
    client.force_authenticate(user)
    response = client.get(API, {"page_size": 100})
    assert response.status_code == 200, response.content
    return {row["name"] for row in response.json()["results"]}


def admin_names(client, user, query=None):
    client.force_login(user)
    response = client.get(CHANGELIST, query or {})
    assert response.status_code == 200
    return {inst.name for inst in response.context["cl"].result_list}


def export_names(client, user, query=None):
    client.force_login(user)
    response = client.get(EXPORT, query or {})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = load_workbook(BytesIO(response.content)).active
    return {row[0] for row in sheet.iter_rows(min_row=2, values_only=True)}


# --- seeing ---------------------------------------------------------------------------------


def test_a_wuma_street_office_gets_exactly_wuma_everywhere(client, world, wuma_user):
    expected = names_of(world, "wuma_standalone", "wuma_nursery")
    assert api_names(wuma_user) == expected
    assert admin_names(client, wuma_user) == expected
    assert export_names(client, wuma_user) == expected


@pytest.mark.parametrize(
    "role_fields, expected_keys",
    [
        ({"role": Role.HEALTH_BUREAU}, "all"),
        ({"role": "", "is_superuser": True}, "all"),
        ({"role": Role.EDUCATION_BUREAU}, ("wuma_nursery", "qidu_nursery")),
        (
            {"role": Role.REGISTRATION_AUTHORITY, "authority": Authority.CIVIL_AFFAIRS},
            ("qidu_standalone", "head", "branch"),
        ),
        ({"role": Role.STREET_OFFICE, "street_code": QIDU}, ("qidu_standalone", "qidu_nursery")),
    ],
)
def test_bureau_staff_see_their_scope_in_api_admin_and_export(client, world, role_fields, expected_keys):
    fields = dict(role_fields)
    if "street_code" in fields:
        fields["street"] = street(fields.pop("street_code"))
    user = UserFactory(**fields)
    expected = {i.name for i in world.values()} if expected_keys == "all" else names_of(world, *expected_keys)

    assert api_names(user) == expected
    assert admin_names(client, user) == expected
    assert export_names(client, user) == expected


def test_an_institution_user_sees_itself_and_its_branches(world):
    head_user = UserFactory(role=Role.INSTITUTION, institution=world["head"], is_staff=False)
    branch_user = UserFactory(role=Role.INSTITUTION, institution=world["branch"], is_staff=False)

    assert api_names(head_user) == names_of(world, "head", "branch")
    assert api_names(branch_user) == names_of(world, "branch")


def test_an_api_client_sees_its_granted_scope(world, api_user):
    assert api_names(api_user) == {i.name for i in world.values()}  # no scope granted: the district

    api_user.scope_streets.set([street(QIDU), street(WUMA)])
    assert api_names(api_user) == names_of(world, "wuma_standalone", "wuma_nursery", "qidu_standalone", "qidu_nursery")

    api_user.scope_kinds = [InstitutionKind.NURSERY_CLASS]
    api_user.save()
    assert api_names(api_user) == names_of(world, "wuma_nursery", "qidu_nursery")


def test_a_user_without_a_role_or_deactivated_sees_nothing(client, world):
    nobody = UserFactory(role="")
    assert api_names(nobody) == set()

    gone = UserFactory(role=Role.HEALTH_BUREAU, is_active=False)
    client.force_login(gone)
    assert client.get(CHANGELIST).status_code == 302  # back to the login page


@pytest.mark.parametrize("role", [Role.INSTITUTION, Role.API_CLIENT])
def test_institutions_and_api_clients_have_no_admin_or_export(client, world, role):
    extra = {"institution": world["head"]} if role == Role.INSTITUTION else {}
    user = UserFactory(role=role, is_staff=True, **extra)
    client.force_login(user)
    assert client.get(CHANGELIST).status_code == 403
    assert client.get(EXPORT).status_code == 403


# --- another street's institution is a 404 --------------------------------------------------


def test_another_streets_institution_by_id_is_a_404_in_the_api(world, wuma_user):
    client = APIClient()
    client.force_authenticate(wuma_user)
    qidu = world["qidu_standalone"]

    response = client.get(f"{API}{qidu.pk}/")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert client.get(f"{API}{world['wuma_standalone'].pk}/").status_code == 200


@pytest.mark.parametrize("view", ["change", "history", "simple_history"])
def test_another_streets_institution_by_id_is_a_404_in_the_admin(client, world, wuma_user, view):
    qidu = world["qidu_standalone"]
    own = world["wuma_standalone"]
    client.force_login(wuma_user)

    def url(inst):
        args = [inst.pk] if view != "simple_history" else [inst.pk, inst.history.latest().history_id]
        return reverse(f"admin:registry_institution_{view}", args=args)

    response = client.get(url(qidu))
    assert response.status_code == 404
    assert qidu.name not in response.content.decode()
    assert client.get(url(own)).status_code == 200


@pytest.mark.parametrize("query", [{"street__id__exact": "QIDU"}, {"q": "七都"}, {"kind__exact": "nursery_class"}])
def test_the_export_cannot_be_widened_by_its_query(client, world, wuma_user, query):
    query = {k: street(QIDU).pk if v == "QIDU" else v for k, v in query.items()}
    shown = export_names(client, wuma_user, query)
    assert shown <= names_of(world, "wuma_standalone", "wuma_nursery")
    assert shown == admin_names(client, wuma_user, query)


# --- writing --------------------------------------------------------------------------------


def api_client_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def new_institution(kind, n):
    return {
        "name": f"新登记机构{n}",
        "credit_code": make_credit_code(800000 + n),
        "kind": kind,
        "ownership": "public",
        "street": WUMA,
        "address": "温州市鹿城区五马街道解放街1号",
        "legal_representative": "王晓燕",
        "contact_phone": "13800000000",
    }


def test_the_health_bureau_writes_every_kind(world, health_user):
    client = api_client_for(health_user)
    for n, kind in enumerate(InstitutionKind.values):
        assert client.post(API, new_institution(kind, n), format="json").status_code == 201
    response = client.patch(f"{API}{world['qidu_standalone'].pk}/", {"approved_places": 99}, format="json")
    assert response.status_code == 200
    assert Institution.objects.get(pk=world["qidu_standalone"].pk).approved_places == 99


def test_the_education_bureau_writes_nursery_classes_only(world, education_user):
    client = api_client_for(education_user)
    nursery = world["wuma_nursery"]

    assert client.post(API, new_institution(InstitutionKind.NURSERY_CLASS, 1), format="json").status_code == 201
    assert client.patch(f"{API}{nursery.pk}/", {"approved_places": 40}, format="json").status_code == 200

    refused = client.post(API, new_institution(InstitutionKind.STANDALONE, 2), format="json")
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "permission_denied"
    assert not Institution.objects.filter(name="新登记机构2").exists()

    # Turning a nursery class into another kind would move it out of the bureau's remit.
    turned = client.patch(f"{API}{nursery.pk}/", {"kind": InstitutionKind.STANDALONE}, format="json")
    assert turned.status_code == 403
    assert Institution.objects.get(pk=nursery.pk).kind == InstitutionKind.NURSERY_CLASS

    # A stand-alone institution is not even visible to it.
    other = world["wuma_standalone"]
    assert client.patch(f"{API}{other.pk}/", {"approved_places": 1}, format="json").status_code == 404
    assert Institution.objects.get(pk=other.pk).approved_places == 50


@pytest.mark.parametrize("role", ["street_office", "registration_authority", "institution", "api_client"])
def test_readers_cannot_write_through_the_api(world, role):
    target = world["wuma_standalone"]
    extra = {
        "street_office": {"street": street(WUMA)},
        "registration_authority": {"authority": Authority.MARKET_REGULATION},
        "institution": {"institution": target},
        "api_client": {},
    }[role]
    client = api_client_for(UserFactory(role=role, **extra))
    before = Institution.objects.count()
    rows = target.history.count()

    created = client.post(API, new_institution(InstitutionKind.STANDALONE, 3), format="json")
    changed = client.patch(f"{API}{target.pk}/", {"name": "改名"}, format="json")
    replaced = client.put(f"{API}{target.pk}/", new_institution(InstitutionKind.STANDALONE, 4), format="json")

    for response in (created, changed, replaced):
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "permission_denied"
    assert Institution.objects.count() == before
    target.refresh_from_db()
    assert target.name == "五马贝乐托育"
    assert target.history.count() == rows


def test_a_street_office_views_but_cannot_change_in_the_admin(client, world, wuma_user):
    own = world["wuma_standalone"]
    client.force_login(wuma_user)
    url = reverse("admin:registry_institution_change", args=[own.pk])

    page = client.get(url)
    assert page.status_code == 200
    assert page.context["has_change_permission"] is False
    assert 'name="_save"' not in page.content.decode()

    response = client.post(url, {"name": "改名", "credit_code": own.credit_code})
    assert response.status_code == 403
    assert client.get(reverse("admin:registry_institution_add")).status_code == 403
    own.refresh_from_db()
    assert own.name == "五马贝乐托育"


def test_the_education_bureau_cannot_add_another_kind_in_the_admin(client, education_user):
    client.force_login(education_user)
    data = new_institution(InstitutionKind.STANDALONE, 5)
    data.update({"street": street(WUMA).pk, "status": "registered", "approved_places": 20, "classes-TOTAL_FORMS": 0})
    data.update({"classes-INITIAL_FORMS": 0, "classes-MIN_NUM_FORMS": 0, "classes-MAX_NUM_FORMS": 1000})

    response = client.post(reverse("admin:registry_institution_add"), data)

    assert response.status_code == 200
    assert "kind" in response.context["adminform"].form.errors
    assert not Institution.objects.exists()

    data["kind"] = InstitutionKind.NURSERY_CLASS
    response = client.post(reverse("admin:registry_institution_add"), data)
    assert response.status_code == 302
    assert Institution.objects.get().created_by == education_user


def test_reverting_from_history_needs_the_right_to_change(client, world, wuma_user):
    own = world["wuma_standalone"]
    client.force_login(wuma_user)
    url = reverse("admin:registry_institution_simple_history", args=[own.pk, own.history.latest().history_id])
    data = {"name": "改名", "credit_code": own.credit_code}

    assert client.post(url, data).status_code == 403
    own.refresh_from_db()
    assert own.name == "五马贝乐托育"


def test_a_head_office_outside_the_scope_cannot_be_chosen_in_the_admin(client, world, education_user):
    client.force_login(education_user)
    data = new_institution(InstitutionKind.NURSERY_CLASS, 6)
    data.update({"street": street(WUMA).pk, "status": "registered", "approved_places": 20, "classes-TOTAL_FORMS": 0})
    data.update({"classes-INITIAL_FORMS": 0, "classes-MIN_NUM_FORMS": 0, "classes-MAX_NUM_FORMS": 1000})
    data["head_office"] = world["head"].pk  # a community institution: not the education bureau's

    response = client.post(reverse("admin:registry_institution_add"), data)

    assert response.status_code == 200
    assert list(response.context["adminform"].form.errors) == ["head_office"]
    assert not Institution.objects.filter(name="新登记机构6").exists()


def test_a_head_office_outside_the_scope_cannot_be_chosen_in_the_api(world, education_user):
    client = api_client_for(education_user)
    data = {**new_institution(InstitutionKind.NURSERY_CLASS, 7), "head_office": world["head"].pk}
    response = client.post(API, data, format="json")
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["head_office"]


@pytest.mark.parametrize(
    "role, extra",
    [
        (Role.HEALTH_BUREAU, {}),
        (Role.EDUCATION_BUREAU, {}),
        (Role.REGISTRATION_AUTHORITY, {"authority": Authority.MARKET_REGULATION}),
        (Role.STREET_OFFICE, {"street_code": WUMA}),
    ],
)
def test_bureau_staff_find_the_institutions_on_the_admin_index(client, world, role, extra):
    if "street_code" in extra:
        extra = {"street": street(extra["street_code"])}
    client.force_login(UserFactory(role=role, **extra))

    response = client.get(reverse("admin:index"))

    assert response.status_code == 200
    assert CHANGELIST in response.content.decode()


def export_head_offices(client, user):
    client.force_login(user)
    sheet = load_workbook(BytesIO(client.get(EXPORT).content)).active
    header = [cell.value for cell in sheet[1]]
    column = header.index("连锁总部")
    return {row[0]: row[column] for row in sheet.iter_rows(min_row=2, values_only=True)}


def test_the_export_names_a_head_office_only_to_those_who_may_see_it(client, world):
    songtai_office = UserFactory(role=Role.STREET_OFFICE, street=street(SONGTAI))
    health = UserFactory(role=Role.HEALTH_BUREAU)
    branch, head = world["branch"].name, world["head"].name

    # 松台 sees its branch, but the head office lies in 滨江: its name is not disclosed.
    assert export_head_offices(client, songtai_office) == {branch: None}
    assert export_head_offices(client, health)[branch] == head
