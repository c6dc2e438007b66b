"""A county administrator: a health-bureau user who manages its own county's accounts and API
tokens in the admin, sees no other account, and grants no privilege."""

import pytest
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from luchen_care.accounts.models import ApiToken, Authority, Role, User
from luchen_care.accounts.selectors import accounts_managed_by
from luchen_care.accounts.services import account_save
from luchen_care.regions.models import County
from registry.services.streets import county_streets_load
from tests.accounts.factories import api_token
from tests.factories import InstitutionFactory, UserFactory, street

pytestmark = pytest.mark.django_db

WUMA, QIDU, ZHUANGYUAN = "330302006", "330302023", "330303006"
PASSWORD = "Lucheng-County-2026!"


@pytest.fixture
def counties(db):
    county_streets_load(code="330303")
    return County.objects.get(code="330302"), County.objects.get(code="330303")


@pytest.fixture
def people(counties):
    """The county administrator of 鹿城, and accounts of both counties and of the whole deployment."""
    lucheng, longwan = counties
    ours = {
        "health": UserFactory(username="lc-health", role=Role.HEALTH_BUREAU),
        "education": UserFactory(username="lc-education", role=Role.EDUCATION_BUREAU),
        "market": UserFactory(
            username="lc-market", role=Role.REGISTRATION_AUTHORITY, authority=Authority.MARKET_REGULATION
        ),
        "wuma": UserFactory(username="lc-wuma", role=Role.STREET_OFFICE, county=None, street=street(WUMA)),
        "institution": UserFactory(
            username="lc-institution",
            role=Role.INSTITUTION,
            county=None,
            institution=InstitutionFactory(street=street(QIDU), name="鹿城用户托育园"),
            is_staff=False,
        ),
        "api": UserFactory(username="lc-api", role=Role.API_CLIENT, county=None, is_staff=False),
    }
    ours["api"].scope_counties.set([lucheng])
    theirs = {
        "longwan": UserFactory(username="lw-health", role=Role.HEALTH_BUREAU, county=longwan),
        "zhuangyuan": UserFactory(
            username="lw-zhuangyuan", role=Role.STREET_OFFICE, county=None, street=street(ZHUANGYUAN)
        ),
        "lw-institution": UserFactory(
            username="lw-institution",
            role=Role.INSTITUTION,
            county=None,
            institution=InstitutionFactory(street=street(ZHUANGYUAN), name="龙湾用户托育园"),
            is_staff=False,
        ),
        "deployment-api": UserFactory(username="all-api", role=Role.API_CLIENT, county=None, is_staff=False),
        "both-api": UserFactory(username="both-api", role=Role.API_CLIENT, county=None, is_staff=False),
        "lucheng-api-longwan-street": UserFactory(
            username="lc-api-lw-street", role=Role.API_CLIENT, county=None, is_staff=False
        ),
        "superuser": UserFactory(username="root", role="", county=None, is_superuser=True),
        "city": UserFactory(username="wenzhou", role=Role.CITY_HEALTH_COMMISSION, county=None, city_code="3303"),
        "peer": UserFactory(username="lc-peer-admin", role=Role.HEALTH_BUREAU, county_administrator=True),
    }
    theirs["both-api"].scope_counties.set([lucheng, longwan])
    theirs["lucheng-api-longwan-street"].scope_counties.set([lucheng])
    theirs["lucheng-api-longwan-street"].scope_streets.set([street(ZHUANGYUAN)])
    admin = UserFactory(username="lc-admin", role=Role.HEALTH_BUREAU, county_administrator=True)
    return admin, ours, theirs


def logged_in(client, user):
    client.force_login(user)
    return client


def change_url(user):
    return reverse("admin:accounts_user_change", args=[user.pk])


def change_body(user, **changes):
    """The change form as the county administrator's browser posts it, with ``changes``."""
    body = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": "改过",
        "email": user.email,
        "is_active": "on",
        "role": user.role,
        "county": user.county_id or "",
        "authority": user.authority,
        "street": user.street_id or "",
        "institution": user.institution_id or "",
        "scope_counties": [c.pk for c in user.scope_counties.all()],
        "scope_streets": [s.pk for s in user.scope_streets.all()],
        "scope_kinds": "[]",
    }
    body.update(changes)
    return {name: value for name, value in body.items() if value is not None}


def row(user):
    return User.objects.filter(pk=user.pk).values().get()


def test_only_a_health_bureau_user_of_a_county_can_be_its_administrator(counties):
    for fields in (
        {"role": Role.EDUCATION_BUREAU, "county": counties[0]},
        {"role": Role.STREET_OFFICE, "street": street(WUMA)},
        {"role": Role.HEALTH_BUREAU},
    ):
        user = User(username="someone", county_administrator=True, **fields)
        user.set_unusable_password()
        with pytest.raises(ValidationError) as refused:
            user.full_clean()
        assert "county_administrator" in refused.value.message_dict


def test_a_county_administrator_manages_its_countys_accounts_only(people):
    admin, ours, theirs = people
    assert set(accounts_managed_by(admin)) == set(ours.values())
    assert set(accounts_managed_by(theirs["superuser"])) == {admin, *ours.values(), *theirs.values()}
    assert not accounts_managed_by(ours["health"]).exists()  # a health bureau that is not its administrator


def test_the_user_list_shows_only_its_countys_accounts(client, people):
    admin, ours, theirs = people
    page = logged_in(client, admin).get(reverse("admin:accounts_user_changelist"))
    assert page.status_code == 200
    listed = {user.username for user in page.context["cl"].result_list}
    assert listed == {user.username for user in ours.values()}
    text = page.content.decode()
    assert all(f">{user.username}<" not in text for user in theirs.values())


@pytest.mark.parametrize("other", ["longwan", "zhuangyuan", "lw-institution", "deployment-api", "superuser", "peer"])
def test_another_countys_or_a_higher_account_is_a_404_on_every_page(client, people, other):
    admin, _ours, theirs = people
    user = theirs[other]
    before = row(user)
    logged_in(client, admin)
    for name in ("change", "history", "password_change"):
        prefix = "admin:auth_user_" if name == "password_change" else "admin:accounts_user_"
        assert client.get(reverse(prefix + name, args=[user.pk])).status_code == 404, name
    takeover = {"password1": "Takeover-Lucheng-2026!", "password2": "Takeover-Lucheng-2026!"}
    assert client.post(reverse("admin:auth_user_password_change", args=[user.pk]), takeover).status_code == 404
    assert client.post(change_url(user), change_body(user)).status_code == 404
    assert row(user) == before


def test_it_changes_and_resets_the_password_of_its_countys_accounts(client, people):
    admin, ours, _theirs = people
    wuma = ours["wuma"]
    logged_in(client, admin)
    response = client.post(change_url(wuma), change_body(wuma, street=street(QIDU).pk))
    assert response.status_code == 302, response.context["adminform"].form.errors
    wuma.refresh_from_db()
    assert (wuma.last_name, wuma.street.code, wuma.is_staff) == ("改过", QIDU, True)
    new_password = {"password1": PASSWORD, "password2": PASSWORD, "set_usable_password": "true"}
    assert client.post(reverse("admin:auth_user_password_change", args=[wuma.pk]), new_password).status_code == 302
    wuma.refresh_from_db()
    assert wuma.check_password(PASSWORD)
    # Every change names who made it in the admin's log.
    assert LogEntry.objects.filter(user=admin, object_id=str(wuma.pk), action_flag=CHANGE).count() == 2


@pytest.mark.parametrize(
    "target, changes, field",
    [
        ("health", {"is_superuser": "on"}, "is_superuser"),
        ("health", {"county_administrator": "on"}, "county_administrator"),
        ("health", {"county": "longwan"}, "county"),
        ("wuma", {"street": ZHUANGYUAN}, "street"),
        ("institution", {"institution": "longwan-institution"}, "institution"),
        ("health", {"role": Role.CITY_HEALTH_COMMISSION, "county": "", "city_code": "3303"}, "role"),
        ("api", {"scope_counties": ["longwan"]}, "scope_counties"),
        ("api", {"scope_counties": []}, "scope_counties"),
        ("api", {"scope_streets": [ZHUANGYUAN]}, "scope_streets"),
        ("wuma", {"user_permissions": ["permission"]}, "user_permissions"),
        ("wuma", {"groups": ["1"]}, "groups"),
    ],
)
def test_it_cannot_escalate_and_nothing_is_saved(client, people, counties, target, changes, field):
    admin, ours, theirs = people
    user = ours[target]
    values = {
        "longwan": counties[1].pk,
        ZHUANGYUAN: street(ZHUANGYUAN).pk,
        "longwan-institution": theirs["lw-institution"].institution_id,
        "permission": Permission.objects.get(codename="change_user").pk,
    }

    def resolve(value):
        if isinstance(value, list):
            return [values.get(v, v) for v in value]
        return values.get(value, value)

    before = row(user)
    grant = (set(user.scope_counties.all()), set(user.scope_streets.all()))
    body = change_body(user, **{name: resolve(value) for name, value in changes.items()})
    response = logged_in(client, admin).post(change_url(user), body)
    assert response.status_code == 200  # the form again, with what to fix
    form = response.context["adminform"].form
    # A field of the form carries its error; a read-only privilege field's refusal heads the form.
    assert form.errors[field] if field in form.fields else form.non_field_errors(), form.errors
    assert 'class="errornote"' in response.content.decode()
    assert row(user) == before
    assert (set(user.scope_counties.all()), set(user.scope_streets.all())) == grant
    assert not LogEntry.objects.filter(user=admin).exists()


def test_the_service_refuses_the_same_whatever_face_calls_it(people, counties):
    admin, ours, theirs = people
    with pytest.raises(PermissionDenied):
        account_save(actor=admin, account=theirs["longwan"])
    with pytest.raises(PermissionDenied):
        account_save(actor=ours["health"], account=ours["wuma"])  # not a county administrator
    health = ours["health"]
    before = row(health)
    for field, value in (("is_superuser", True), ("county_administrator", True), ("county", counties[1])):
        account = User.objects.get(pk=health.pk)
        setattr(account, field, value)
        with pytest.raises(ValidationError) as refused:
            account_save(actor=admin, account=account)
        assert field in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        account_save(actor=admin, account=ours["api"], scope_counties=[])
    assert "scope_counties" in refused.value.message_dict
    assert row(health) == before
    # The staff flag follows the role: an institution user does not work in the admin.
    institution = User.objects.get(pk=ours["institution"].pk)
    institution.is_staff = True
    account_save(actor=admin, account=institution)
    institution.refresh_from_db()
    assert not institution.is_staff


def test_it_creates_a_street_office_user_of_its_street(client, people):
    admin, _ours, _theirs = people
    body = {
        "username": "lc-qidu",
        "usable_password": "true",
        "password1": PASSWORD,
        "password2": PASSWORD,
        "role": Role.STREET_OFFICE,
        "street": street(QIDU).pk,
        "scope_kinds": "[]",
    }
    response = logged_in(client, admin).post(reverse("admin:accounts_user_add"), body)
    assert response.status_code == 302, response.context["adminform"].form.errors
    created = User.objects.get(username="lc-qidu")
    assert (created.role, created.street.code, created.is_staff, created.is_superuser) == (
        Role.STREET_OFFICE,
        QIDU,
        True,
        False,
    )
    assert created in accounts_managed_by(admin)
    assert LogEntry.objects.filter(user=admin, object_id=str(created.pk), action_flag=ADDITION).exists()


def test_it_creates_an_api_client_of_its_county_only(client, people, counties):
    admin, _ours, _theirs = people
    lucheng, longwan = counties
    body = {
        "username": "lc-new-api",
        "usable_password": "false",
        "role": Role.API_CLIENT,
        "scope_counties": [lucheng.pk],
        "scope_streets": [street(WUMA).pk],
        "scope_kinds": '["standalone"]',
    }
    logged_in(client, admin)
    for refused in ({"scope_counties": []}, {"scope_counties": [lucheng.pk, longwan.pk]}):
        response = client.post(reverse("admin:accounts_user_add"), {**body, **refused})
        assert response.status_code == 200 and "scope_counties" in response.context["adminform"].form.errors
        assert not User.objects.filter(username="lc-new-api").exists()
    response = client.post(reverse("admin:accounts_user_add"), body)
    assert response.status_code == 302, response.context["adminform"].form.errors
    created = User.objects.get(username="lc-new-api")
    assert set(created.scope_counties.all()) == {lucheng} and not created.is_staff
    assert created in accounts_managed_by(admin)


def test_the_add_form_offers_only_its_countys_choices(client, people, counties):
    admin, _ours, _theirs = people
    form = logged_in(client, admin).get(reverse("admin:accounts_user_add")).context["adminform"].form
    assert list(form.fields["county"].queryset) == [counties[0]]
    assert {s.county_id for s in form.fields["street"].queryset} == {counties[0].pk}
    assert {i.street.county_id for i in form.fields["institution"].queryset} == {counties[0].pk}
    assert list(form.fields["scope_counties"].queryset) == [counties[0]]
    assert Role.CITY_HEALTH_COMMISSION not in {value for value, _label in form.fields["role"].choices}
    assert not {"is_superuser", "is_staff", "county_administrator", "groups"} & set(form.fields)


def test_a_health_bureau_that_is_not_its_administrator_manages_no_account(client, people):
    _admin, ours, _theirs = people
    logged_in(client, ours["health"])
    assert client.get(reverse("admin:accounts_user_changelist")).status_code == 403
    assert client.get(reverse("admin:accounts_user_add")).status_code == 403
    assert client.get(change_url(ours["wuma"])).status_code in (403, 404)
    assert client.get(reverse("admin:auth_user_password_change", args=[ours["wuma"].pk])).status_code in (403, 404)
    assert client.get(reverse("admin:accounts_apitoken_changelist")).status_code == 403


def test_the_token_admin_holds_only_its_countys_api_clients(client, people):
    admin, ours, theirs = people
    api_token(ours["api"], name="鹿城数据中心")
    api_token(theirs["deployment-api"], name="全市数据中心")
    mine = ApiToken.objects.get(user=ours["api"])
    other = ApiToken.objects.get(user=theirs["deployment-api"])
    logged_in(client, admin)
    listing = client.get(reverse("admin:accounts_apitoken_changelist"))
    assert listing.status_code == 200
    assert "鹿城数据中心" in listing.content.decode() and "全市数据中心" not in listing.content.decode()
    assert client.get(reverse("admin:accounts_apitoken_change", args=[other.pk])).status_code == 404
    assert client.get(reverse("admin:accounts_apitoken_history", args=[other.pk])).status_code == 404
    changelist = reverse("admin:accounts_apitoken_changelist")
    for action in ("revoke", "rotate"):
        client.post(changelist, {"action": action, "_selected_action": [other.pk], "index": "0", "apply": "1"})
    other.refresh_from_db()
    assert other.state() == "live" and ApiToken.objects.filter(user=theirs["deployment-api"]).count() == 1

    # Revoke its own client's token, and issue a new one; never one for another county's client.
    confirm = client.post(changelist, {"action": "revoke", "_selected_action": [mine.pk], "index": "0"})
    assert confirm.status_code == 200 and 'id="api-token-revoke-form"' in confirm.content.decode()
    done = client.post(changelist, {"action": "revoke", "_selected_action": [mine.pk], "index": "0", "apply": "1"})
    assert done.status_code == 302
    mine.refresh_from_db()
    assert mine.state() == "revoked" and mine.revoked_by == admin
    add = reverse("admin:accounts_apitoken_add")
    offered = client.get(add).context["adminform"].form.fields["user"].queryset
    assert list(offered) == [ours["api"]]
    response = client.post(add, {"user": theirs["both-api"].pk, "name": "越权系统"})
    assert response.status_code == 200 and "user" in response.context["adminform"].form.errors
    assert not ApiToken.objects.filter(user=theirs["both-api"]).exists()
    issued = client.post(add, {"user": ours["api"].pk, "name": "鹿城数据中心"})
    assert issued.status_code == 200 and "no-store" in issued["Cache-Control"]
    assert ApiToken.objects.filter(user=ours["api"], revoked_at=None).count() == 1
    assert LogEntry.objects.filter(user=admin, action_flag=ADDITION).exists()
    # A county administrator does not reassign a token: there is no change form.
    new = ApiToken.objects.get(user=ours["api"], revoked_at=None)
    change = reverse("admin:accounts_apitoken_change", args=[new.pk])
    assert client.post(change, {"user": ours["api"].pk}).status_code == 403


def test_a_superuser_makes_a_health_bureau_user_its_countys_administrator(client, people):
    _admin, ours, theirs = people
    health = ours["health"]
    joined = timezone.localtime(health.date_joined).replace(microsecond=0)
    body = change_body(
        health,
        county_administrator="on",
        is_staff="on",
        date_joined_0=joined.date().isoformat(),
        date_joined_1=joined.time().strftime("%H:%M:%S"),
    )
    response = logged_in(client, theirs["superuser"]).post(change_url(health), body)
    assert response.status_code == 302, response.context["adminform"].form.errors
    health.refresh_from_db()
    assert health.county_administrator and health.date_joined == joined
    assert set(accounts_managed_by(health)) == set(ours.values()) - {health}  # never itself
    page = logged_in(client, health).get(reverse("admin:accounts_user_changelist"))
    assert page.status_code == 200 and "lc-wuma" in page.content.decode()


def test_the_admin_log_names_a_token_by_its_name_and_user_never_by_its_key(client, django_user_model):
    superuser = django_user_model.objects.create_superuser("root-log", password="x-Lucheng-2026")
    client_user = django_user_model.objects.create_user("system-a", password="x-Lucheng-2026", role="api_client")
    client.force_login(superuser)
    add = reverse("admin:accounts_apitoken_add")
    response = client.post(add, {"user": client_user.pk, "name": "区大数据管理中心"})
    assert response.status_code == 200
    (key,) = [item.key for item in response.context["issued"]]
    entry = LogEntry.objects.get()
    assert key not in entry.object_repr and "system-a" in entry.object_repr and "区大数据管理中心" in entry.object_repr
    assert key not in client.get(reverse("admin:index")).content.decode()
