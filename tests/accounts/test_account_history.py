"""Every change to an account is kept with its old and new values, who made it and when, and its
history page shows them to those who manage the account only."""

import html
import json
import re

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import capfirst
from django.utils.translation import gettext

from luchen_care.accounts.models import Authority, Role, User
from luchen_care.regions.models import County
from registry.models import InstitutionKind
from registry.services.streets import county_streets_load
from tests.factories import InstitutionFactory, UserFactory, street

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _chinese_after_the_test():
    """A request with the English cookie leaves English active in this thread: give the next test Chinese."""
    yield
    translation.activate(settings.LANGUAGE_CODE)


def change_form(user, **changes):
    data = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "is_active": "on" if user.is_active else "",
        "role": user.role,
        "street": user.street_id or "",
        "date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
        "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
        "scope_kinds": "[]",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value != ""}


def test_a_county_administrators_change_to_a_street_office_is_kept_with_old_and_new_values(client):
    administrator = UserFactory(username="county-admin", role=Role.HEALTH_BUREAU, county_administrator=True)
    office = UserFactory(username="wuma-office", role=Role.STREET_OFFICE, street=street("330302006"))
    client.force_login(administrator)
    response = client.post(
        reverse("admin:accounts_user_change", args=[office.pk]), change_form(office, street=street("330302023").pk)
    )
    assert response.status_code == 302, response.content.decode()[:2000]

    latest, before = office.history.all()[:2]
    assert latest.history_user == administrator and latest.history_type == "~"
    delta = latest.diff_against(before)
    assert [(c.field, c.old, c.new) for c in delta.changes] == [
        ("street", street("330302006").pk, street("330302023").pk)
    ]
    assert not hasattr(latest, "password")  # the password is never kept in the history

    page = client.get(reverse("admin:accounts_user_history", args=[office.pk])).content.decode()
    assert "county-admin" in page and "七都街道" in page


def test_another_countys_bureau_gets_404_for_the_history(client):
    county_streets_load(code="330303")
    longwan = UserFactory(role=Role.HEALTH_BUREAU, county=County.objects.get(code="330303"), county_administrator=True)
    office = UserFactory(role=Role.STREET_OFFICE, street=street("330302006"))
    client.force_login(longwan)
    assert client.get(reverse("admin:accounts_user_history", args=[office.pk])).status_code == 404
    version = office.history.first().history_id
    assert client.get(reverse("admin:accounts_user_simple_history", args=[office.pk, version])).status_code == 404


def admin_form(user, **changes):
    """The change form of ``user`` as the admin posts it, with ``changes``; its join date in local time."""
    joined = timezone.localtime(user.date_joined)
    data = {
        "username": user.username,
        "is_active": "on" if user.is_active else "",
        "is_staff": "on" if user.is_staff else "",
        "role": user.role,
        "county": user.county_id or "",
        "authority": user.authority,
        "street": user.street_id or "",
        "institution": user.institution_id or "",
        "date_joined_0": joined.strftime("%Y-%m-%d"),
        "date_joined_1": joined.strftime("%H:%M:%S"),
        "scope_kinds": json.dumps(user.scope_kinds),
        "scope_counties": list(user.scope_counties.values_list("pk", flat=True)),
        "scope_streets": list(user.scope_streets.values_list("pk", flat=True)),
        "scope_personal_data": "on" if user.scope_personal_data else "",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value not in ("", [])}


def latest_changes(client, user, language):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    page = client.get(reverse("admin:accounts_user_history", args=[user.pk])).content.decode()
    row = re.search(r'<tr>\s*<td>\s*<a href="[^"]*">[^<]*</a>\s*</td>(.*?)</tr>', page, re.S).group(1)
    items = re.findall(r'<li data-field="([^"]+)">(.*?)</li>', row, re.S)
    cells = [
        " ".join(html.unescape(re.sub(r"<[^>]+>", " ", c)).split())
        for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
    ]
    return {name: " ".join(html.unescape(value).split()) for name, value in items}, cells


def arrow(name, old, new):
    label = capfirst(User._meta.get_field(name).verbose_name)
    return " ".join((gettext("%(field)s: %(old)s → %(new)s") % {"field": label, "old": old, "new": new}).split())


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_an_api_clients_grant_and_active_flag_are_kept_old_to_new_with_who_and_when(client, language):
    root = UserFactory(username="root-admin", is_superuser=True, role="")
    api = UserFactory(username="grant-client", role=Role.API_CLIENT, is_staff=False)
    client.force_login(root)
    rows = api.history.count()
    lucheng = County.objects.get(code="330302")
    response = client.post(
        reverse("admin:accounts_user_change", args=[api.pk]),
        admin_form(
            api,
            scope_counties=[lucheng.pk],
            scope_streets=[street("330302006").pk],
            scope_kinds='["standalone"]',
            scope_personal_data="on",
            is_active="",
        ),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert api.history.count() == rows + 1  # one save, one row: the grant is not a second, empty one

    changes, cells = latest_changes(client, api, language)
    with translation.override(language):
        kind = str(InstitutionKind.STANDALONE.label)
        assert changes == {
            "is_active": arrow("is_active", gettext("Yes"), gettext("No")),
            "scope_counties": arrow("scope_counties", "—", lucheng.name),
            "scope_streets": arrow("scope_streets", "—", street("330302006").name),
            "scope_kinds": arrow("scope_kinds", "—", kind),
            "scope_personal_data": arrow("scope_personal_data", gettext("No"), gettext("Yes")),
        }
    when = timezone.localtime(api.history.first().history_date).strftime("%Y-%m-%d %H:%M:%S")
    assert when in cells and "root-admin" in cells

    # Saving again without a change writes no row; neither does signing in.
    api.refresh_from_db()
    client.post(reverse("admin:accounts_user_change", args=[api.pk]), admin_form(api))
    assert api.history.count() == rows + 1
    client.force_login(api)
    assert api.history.count() == rows + 1


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_role_change_shows_role_authority_county_street_and_institution_by_their_labels(client, language):
    root = UserFactory(username="root-admin", is_superuser=True, role="")
    office = UserFactory(username="moving-office", role=Role.STREET_OFFICE, street=street("330302006"), county=None)
    client.force_login(root)
    lucheng = County.objects.get(code="330302")
    post = admin_form(
        office, role=Role.REGISTRATION_AUTHORITY, street="", county=lucheng.pk, authority=Authority.CIVIL_AFFAIRS
    )
    assert client.post(reverse("admin:accounts_user_change", args=[office.pk]), post).status_code == 302
    changes, _cells = latest_changes(client, office, language)
    with translation.override(language):
        assert changes == {
            "role": arrow("role", Role.STREET_OFFICE.label, Role.REGISTRATION_AUTHORITY.label),
            "county": arrow("county", "—", lucheng.name),
            "authority": arrow("authority", "—", Authority.CIVIL_AFFAIRS.label),
            "street": arrow("street", street("330302006").name, "—"),
        }

    office.refresh_from_db()
    nursery = InstitutionFactory(name="历史页测试托育园")
    post = admin_form(office, role=Role.INSTITUTION, county="", authority="", institution=nursery.pk, is_staff="")
    assert client.post(reverse("admin:accounts_user_change", args=[office.pk]), post).status_code == 302
    changes, _cells = latest_changes(client, office, language)
    with translation.override(language):
        assert changes["role"] == arrow("role", Role.REGISTRATION_AUTHORITY.label, Role.INSTITUTION.label)
        assert changes["institution"] == arrow("institution", "—", "历史页测试托育园")
        assert changes["is_staff"] == arrow("is_staff", gettext("Yes"), gettext("No"))
