"""The access log in the admin: read and filtered by the bureau of its county, edited by nobody."""

import pytest
from django.urls import reverse

from luchen_care.accounts.models import Authority, Role
from luchen_care.audit.models import AccessAction, Face, PersonalDataAccess
from luchen_care.regions.models import County
from registry.services.streets import county_streets_load
from tests.factories import UserFactory, street

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:audit_personaldataaccess_changelist")
ADD = reverse("admin:audit_personaldataaccess_add")


def entry(county, label, **fields):
    return PersonalDataAccess.objects.create(
        username="reader",
        role=Role.HEALTH_BUREAU,
        county=county,
        face=Face.ADMIN,
        action=AccessAction.VIEW,
        record_type="registry.institution",
        record_ids=[1],
        record_labels=[label],
        record_index="#1#",
        label_index=label,
        path="/admin/registry/institution/1/change/",
        **fields,
    )


@pytest.fixture
def counties(db):
    county_streets_load(code="330303")
    return County.objects.get(code="330302"), County.objects.get(code="330303")


@pytest.fixture
def entries(counties):
    lucheng, longwan = counties
    return {
        "lucheng": entry(lucheng, "鹿城的访问记录"),
        "longwan": entry(longwan, "龙湾的访问记录"),
        "deployment": entry(None, "无区县的访问记录"),
    }


@pytest.fixture
def longwan_user(counties):
    return UserFactory(username="longwan", role=Role.HEALTH_BUREAU, county=counties[1])


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", role="", is_superuser=True, county=None)


def listed(client):
    response = client.get(CHANGELIST)
    assert response.status_code == 200
    return {e.label_index for e in response.context["cl"].result_list}


def test_each_bureau_reads_its_own_countys_entries_and_the_superuser_every_one(
    admin_client_for, entries, health_user, longwan_user, superuser
):
    assert listed(admin_client_for(health_user)) == {"鹿城的访问记录"}
    assert listed(admin_client_for(longwan_user)) == {"龙湾的访问记录"}
    assert listed(admin_client_for(superuser)) == {"鹿城的访问记录", "龙湾的访问记录", "无区县的访问记录"}


def test_longwans_bureau_does_not_see_luchengs_entries(admin_client_for, entries, longwan_user):
    client = admin_client_for(longwan_user)
    lucheng = entries["lucheng"]

    change = client.get(reverse("admin:audit_personaldataaccess_change", args=[lucheng.pk]))
    search = client.get(CHANGELIST, {"q": "鹿城"})

    assert change.status_code == 404 and "鹿城的访问记录" not in change.content.decode()
    assert search.context["cl"].result_list.count() == 0


@pytest.mark.parametrize(
    "make_user",
    [
        lambda: UserFactory(role=Role.EDUCATION_BUREAU),
        lambda: UserFactory(role=Role.REGISTRATION_AUTHORITY, authority=Authority.MARKET_REGULATION),
        lambda: UserFactory(role=Role.STREET_OFFICE, street=street("330302006")),
        lambda: UserFactory(role=Role.CITY_HEALTH_COMMISSION, city_code="3303", county=None),
    ],
    ids=["education", "authority", "street_office", "city"],
)
def test_nobody_else_reads_the_log(admin_client_for, entries, make_user):
    client = admin_client_for(make_user())

    assert client.get(CHANGELIST).status_code == 403
    assert client.get(reverse("admin:audit_personaldataaccess_change", args=[entries["lucheng"].pk])).status_code in (
        403,
        404,
    )
    assert "访问记录" not in client.get(reverse("admin:index")).content.decode()


def test_the_bureau_reads_an_entry_but_cannot_change_add_or_delete_it(admin_client_for, entries, health_user):
    client = admin_client_for(health_user)
    lucheng = entries["lucheng"]
    change = reverse("admin:audit_personaldataaccess_change", args=[lucheng.pk])
    before = list(PersonalDataAccess.objects.order_by("pk").values())

    page = client.get(change)
    posted = client.post(change, {"username": "someone-else", "row_count": "0"})
    added = client.post(ADD, {"username": "forged", "face": "admin", "action": "view"})
    deleted = client.post(reverse("admin:audit_personaldataaccess_delete", args=[lucheng.pk]), {"post": "yes"})
    bulk = client.post(CHANGELIST, {"action": "delete_selected", "_selected_action": [lucheng.pk], "post": "yes"})

    assert page.status_code == 200 and "鹿城的访问记录" in page.content.decode()
    assert 'name="_save"' not in page.content.decode()
    assert posted.status_code == added.status_code == deleted.status_code == 403
    assert client.get(ADD).status_code == 403
    assert bulk.status_code in (200, 302)  # no action exists: the list, nothing deleted
    assert list(PersonalDataAccess.objects.order_by("pk").values()) == before


def test_the_superuser_cannot_change_it_either(admin_client_for, entries, superuser):
    client = admin_client_for(superuser)
    lucheng = entries["lucheng"]
    before = list(PersonalDataAccess.objects.order_by("pk").values())

    posted = client.post(reverse("admin:audit_personaldataaccess_change", args=[lucheng.pk]), {"username": "x"})
    deleted = client.post(reverse("admin:audit_personaldataaccess_delete", args=[lucheng.pk]), {"post": "yes"})

    assert posted.status_code == deleted.status_code == 403
    assert list(PersonalDataAccess.objects.order_by("pk").values()) == before


def test_a_saved_entry_cannot_be_saved_again(entries):
    from django.core.exceptions import ValidationError  # noqa: PLC0415

    lucheng = entries["lucheng"]
    lucheng.username = "changed"
    with pytest.raises(ValidationError):
        lucheng.save()
    assert PersonalDataAccess.objects.get(pk=lucheng.pk).username == "reader"


def test_an_entry_belongs_to_the_county_of_the_records_read(
    admin_client_for, counties, health_user, longwan_user, superuser
):
    from tests.factories import InstitutionFactory  # noqa: PLC0415

    lucheng, longwan = counties
    in_lucheng = InstitutionFactory(name="鹿城托育园")
    in_longwan = InstitutionFactory(name="龙湾托育园", street=street("330303006"))
    admin_client_for(health_user).get(reverse("admin:registry_institution_change", args=[in_lucheng.pk]))
    root = admin_client_for(superuser)
    root.get(reverse("admin:registry_institution_change", args=[in_longwan.pk]))
    root.get(reverse("admin:registry_institution_export"))  # both counties: the superusers' alone

    counties_by_records = {frozenset(e.record_labels): e.county for e in PersonalDataAccess.objects.all()}
    assert counties_by_records == {
        frozenset({"鹿城托育园"}): lucheng,
        frozenset({"龙湾托育园"}): longwan,
        frozenset({"鹿城托育园", "龙湾托育园"}): None,
    }
    assert listed(admin_client_for(longwan_user)) == {"龙湾托育园"}
    assert listed(admin_client_for(health_user)) == {"鹿城托育园"}
