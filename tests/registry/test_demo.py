"""`manage.py demo`: realistic data for every street, kind and role, and a second run changes nothing."""

from collections import Counter
from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.test import RequestFactory
from rest_framework.test import APIClient

from luchen_care.accounts.models import ApiToken, Authority, Role, User, api_token_hash
from luchen_care.exchange.models import PushDelivery
from luchen_care.workdays.calendar import working_day_deadline
from registry.demo import DEMO_PASSWORD, DEMO_TOKEN_NAME, demo_api_key
from registry.models import Institution, InstitutionClass, InstitutionKind, Registration, Street, StreetPopulation
from registry.services.push import registration_deliveries
from registry.validators import validate_credit_code

pytestmark = pytest.mark.django_db

WUMA = "330302006"
USER_FIELDS = ("username", "password", "role", "authority", "street", "institution", "is_staff", "is_superuser")


@pytest.fixture(autouse=True)
def _on_a_laptop(settings):
    """The demo is for a development configuration (DEBUG on); the test runner turns DEBUG off."""
    settings.DEBUG = True


def run_demo():
    out = StringIO()
    call_command("demo", stdout=out)
    return out.getvalue()


def snapshot():
    """Everything the demo touches, as counts and as stored values."""
    models = [
        Street,
        StreetPopulation,
        StreetPopulation.history.model,
        Institution,
        Institution.history.model,
        InstitutionClass,
        InstitutionClass.history.model,
        User,
        ApiToken,
        Registration,
        Registration.history.model,
        PushDelivery,
    ]
    return {
        "counts": {m.__name__: m.objects.count() for m in models},
        "institutions": list(Institution.objects.order_by("credit_code").values()),
        "classes": list(InstitutionClass.objects.order_by("pk").values()),
        "users": list(User.objects.order_by("username").values(*USER_FIELDS)),
        "tokens": sorted(ApiToken.objects.values_list("key_hash", flat=True)),
    }


@pytest.fixture
def demo(db):
    return run_demo()


def test_all_fourteen_streets_with_a_population(demo):
    lucheng = Street.objects.filter(county__code="330302")
    assert lucheng.count() == 14
    assert Counter(lucheng.values_list("kind", flat=True)) == {"street": 12, "town": 2}
    assert Street.objects.get(code=WUMA).name == "五马街道"
    for s in lucheng:
        assert s.current_population().population > 0


def test_about_sixty_institutions_of_every_kind_across_the_streets(demo):
    institutions = list(Institution.objects.filter(street__county__code="330302").select_related("street"))

    assert 55 <= len(institutions) <= 65
    kinds = Counter(i.kind for i in institutions)
    assert set(kinds) == set(InstitutionKind.values)
    assert all(count >= 5 for count in kinds.values())
    streets = Counter(i.street.code for i in institutions)
    assert len(streets) == 14  # every street and town has some
    assert streets[WUMA] >= 5
    for kind in InstitutionKind.values:
        assert len({i.street_id for i in institutions if i.kind == kind}) >= 4  # each kind spread out


def test_a_second_county_of_the_same_city_with_its_own_bureau_and_the_citys_commission(demo):
    longwan = Institution.objects.filter(street__county__code="330303")
    assert Street.objects.filter(county__code="330303").count() == 10
    assert 3 <= longwan.count() <= 8
    assert all("鹿城" not in name for name in longwan.values_list("name", flat=True))
    bureau, city = User.objects.get(username="longwan"), User.objects.get(username="wenzhou")
    assert set(Institution.objects.visible_to(bureau)) == set(longwan)
    health = User.objects.get(username="health")
    assert not Institution.objects.visible_to(health).filter(street__county__code="330303").exists()
    assert Institution.objects.visible_to(city).count() == Institution.objects.count()
    assert set(longwan.values_list("registration_authority", flat=True)) >= {"market_regulation"}


def test_demo_institutions_are_valid_records(demo):
    institutions = list(Institution.objects.all())
    codes = [i.credit_code for i in institutions]
    assert len(set(codes)) == len(codes)
    for inst in institutions:
        validate_credit_code(inst.credit_code)
        inst.full_clean()
        assert inst.classes.exists()
        assert inst.approved_places == inst.total_capacity
    assert any(code.startswith("Y") for code in codes)  # a code starting with a letter
    assert {c[0] for c in codes} >= {"1", "5", "9"}
    assert Institution.objects.filter(inclusive=True).exists() and Institution.objects.filter(inclusive=False).exists()
    assert Institution.objects.exclude(head_office=None).exists()  # a chain with branches


def test_one_demo_user_per_role_who_can_log_in(demo):
    for role in Role.values:
        assert User.objects.filter(role=role).exists(), role
    assert User.objects.filter(is_superuser=True).exists()
    assert set(User.objects.filter(role=Role.REGISTRATION_AUTHORITY).values_list("authority", flat=True)) == set(
        Authority.values
    )
    for user in User.objects.all():
        user.full_clean()
        sign_in = RequestFactory().post("/admin/login/")  # the login limits count per request
        assert authenticate(sign_in, username=user.username, password=DEMO_PASSWORD) == user

    assert list(User.objects.filter(county_administrator=True).values_list("username", flat=True)) == ["health"]
    wuma = User.objects.get(role=Role.STREET_OFFICE)
    assert wuma.street.code == WUMA and wuma.is_staff
    institution_user = User.objects.get(role=Role.INSTITUTION)
    assert institution_user.institution.branches.exists() and institution_user.institution_administrator
    assert ApiToken.objects.get(user__role=Role.API_CLIENT).name == DEMO_TOKEN_NAME


def test_the_demo_prints_the_logins(demo):
    assert DEMO_PASSWORD in demo
    assert "/portal/login/" in demo  # where the institution signs in
    for username in User.objects.values_list("username", flat=True):
        assert username in demo
    key = demo_api_key()
    assert key in demo and ApiToken.objects.get(user__role=Role.API_CLIENT).key_hash == api_token_hash(key)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/v1/institutions/").status_code == 200  # the printed key works


def test_the_wuma_demo_login_sees_exactly_wuma_through_the_api(demo):
    client = APIClient()
    token = client.post("/api/v1/auth/token/", {"username": "wuma", "password": DEMO_PASSWORD}, format="json")
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.json()['token']}")

    rows = client.get("/api/v1/institutions/", {"page_size": 100}).json()["results"]

    assert {r["id"] for r in rows} == set(Institution.objects.filter(street__code=WUMA).values_list("pk", flat=True))


def test_running_it_twice_changes_nothing(demo):
    before = snapshot()

    second = run_demo()

    assert snapshot() == before
    assert "registry: 0 institutions, 0 users, 0 populations, 0 registrations created" in second


def test_each_authority_has_recent_registrations_with_their_deadline_and_push(demo):
    registrations = list(Registration.objects.select_related("institution"))

    assert Counter(r.authority for r in registrations) == {authority: 2 for authority in Authority.values}
    for registration in registrations:
        assert registration.institution.registration_authority == registration.authority
        assert registration.data["credit_code"] == registration.institution.credit_code
        assert registration.push_deadline == working_day_deadline(registration.registered_on, 5).date
        assert registration_deliveries(registration).exists()  # written to the outbox with the registration
        assert registration.history.first().history_user.username in {"market", "civil", "establishment"}


def test_it_works_without_migrating_too(demo):
    before = snapshot()
    call_command("demo", "--no-migrate", stdout=StringIO())
    assert snapshot() == before


def test_it_refuses_a_production_configuration(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError) as refused:
        call_command("demo", stdout=StringIO())

    assert "--allow-production" in str(refused.value)
    assert "admin" in str(refused.value)
    assert not User.objects.exists()  # no published password on a production database
    assert not Institution.objects.exists()


def test_a_production_configuration_runs_it_only_when_told_to(settings):
    settings.DEBUG = False

    out = StringIO()
    call_command("demo", "--allow-production", stdout=out)

    assert User.objects.filter(username="admin", is_superuser=True).exists()
    assert Institution.objects.exists()
    assert "demo data ready" in out.getvalue()
