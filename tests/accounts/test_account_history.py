"""Every change to an account is kept with its old and new values, who made it and when, and its
history page shows them to those who manage the account only."""

import pytest
from django.urls import reverse

from luchen_care.accounts.models import Role
from luchen_care.regions.models import County
from registry.services.streets import county_streets_load
from tests.factories import UserFactory, street

pytestmark = pytest.mark.django_db


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
