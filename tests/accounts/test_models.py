"""Users and roles: the field names and values other systems rely on, and the rules each role brings."""

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.operations import CreateModel
from django.urls import reverse

from luchen_care.accounts.models import Authority, Role, User
from luchen_care.regions.models import County
from tests.factories import InstitutionFactory, UserFactory, street

pytestmark = pytest.mark.django_db


def test_the_role_and_authority_values_are_exactly_the_agreed_ones():
    assert set(Role.values) == {
        "health_bureau",
        "education_bureau",
        "registration_authority",
        "street_office",
        "institution",
        "api_client",
        "city_health_commission",
    }
    assert set(Authority.values) == {"market_regulation", "civil_affairs", "establishment_office"}
    assert {"role", "authority", "street", "institution"} <= {f.name for f in User._meta.get_fields()}


def test_the_custom_user_model_exists_from_the_first_migration():
    assert get_user_model() is User
    loader = MigrationLoader(None, ignore_no_migrations=True)
    first = loader.get_migration("accounts", "0001_initial")
    created = {op.name for op in first.operations if isinstance(op, CreateModel)}
    assert "User" in created
    assert first.initial


def home():
    return County.objects.get(code="330302")


def valid(**fields):
    user = User(username="someone", **fields)
    user.set_unusable_password()
    user.full_clean()
    return user


def errors_of(**fields):
    with pytest.raises(ValidationError) as info:
        valid(**fields)
    return info.value.message_dict


def test_each_role_with_what_it_needs_is_valid():
    valid(role=Role.HEALTH_BUREAU, county=home())
    valid(role=Role.EDUCATION_BUREAU, county=home())
    valid(role=Role.REGISTRATION_AUTHORITY, authority=Authority.CIVIL_AFFAIRS, county=home())
    valid(role=Role.CITY_HEALTH_COMMISSION, city_code="3303")
    valid(role=Role.STREET_OFFICE, street=street())
    valid(role=Role.INSTITUTION, institution=InstitutionFactory())
    valid(role=Role.API_CLIENT, scope_kinds=["nursery_class"])
    valid(is_superuser=True)


@pytest.mark.parametrize(
    "fields, field",
    [
        ({}, "role"),
        ({"role": Role.REGISTRATION_AUTHORITY}, "authority"),
        ({"role": Role.HEALTH_BUREAU, "authority": Authority.CIVIL_AFFAIRS}, "authority"),
        ({"role": Role.STREET_OFFICE}, "street"),
        ({"role": Role.INSTITUTION}, "institution"),
        ({"role": Role.HEALTH_BUREAU, "scope_kinds": ["family"]}, "scope_kinds"),
        ({"role": Role.API_CLIENT, "scope_kinds": ["castle"]}, "scope_kinds"),
        ({"role": "mayor"}, "role"),
        ({"role": Role.HEALTH_BUREAU}, "county"),
        ({"role": Role.EDUCATION_BUREAU}, "county"),
        ({"role": Role.REGISTRATION_AUTHORITY, "authority": Authority.CIVIL_AFFAIRS}, "county"),
        ({"role": Role.CITY_HEALTH_COMMISSION}, "city_code"),
        ({"role": Role.CITY_HEALTH_COMMISSION, "city_code": "33"}, "city_code"),
        ({"role": Role.STREET_OFFICE, "city_code": "3303"}, "city_code"),
    ],
)
def test_a_role_without_what_it_needs_is_refused_on_the_right_field(fields, field):
    assert field in errors_of(**fields)


def test_a_street_belongs_to_street_offices_and_an_institution_to_institution_users():
    assert "street" in errors_of(role=Role.HEALTH_BUREAU, street=street())
    assert "county" in errors_of(role=Role.STREET_OFFICE, street=street(), county=home())
    assert "institution" in errors_of(role=Role.STREET_OFFICE, street=street(), institution=InstitutionFactory())


def test_who_sees_everything():
    assert UserFactory(role=Role.HEALTH_BUREAU).sees_everything
    assert UserFactory(role="", is_superuser=True).sees_everything
    assert not UserFactory(role=Role.EDUCATION_BUREAU).sees_everything
    assert not UserFactory(role=Role.HEALTH_BUREAU, is_active=False).sees_everything


@pytest.mark.parametrize("url_name", ["admin:accounts_user_changelist", "admin:accounts_apitoken_changelist"])
def test_a_health_bureau_that_is_not_county_administrator_gets_no_accounts_or_tokens(client, health_user, url_name):
    client.force_login(health_user)
    assert client.get(reverse(url_name)).status_code == 403

    client.force_login(UserFactory(role="", is_superuser=True))
    assert client.get(reverse(url_name)).status_code == 200


def test_accounts_are_deactivated_not_deleted(client):
    admin = UserFactory(role="", is_superuser=True)
    someone = UserFactory(role=Role.HEALTH_BUREAU)
    client.force_login(admin)
    assert client.get(reverse("admin:accounts_user_delete", args=[someone.pk])).status_code == 403
    assert User.objects.filter(pk=someone.pk).exists()
