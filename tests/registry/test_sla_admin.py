"""The admin's SLA page bounds its year as the API does (one declaration, SlaQuerySerializer)."""

import pytest
from django.contrib.messages import get_messages

pytestmark = pytest.mark.django_db

SLA = "/admin/registry/registration/sla/"


@pytest.mark.parametrize("year", ["10000", "1999", "2101", "last", "-1", "2026.5"])
def test_a_year_out_of_bounds_shows_a_message_and_every_year(client, health_user, year):
    client.force_login(health_user)
    client.cookies["django_language"] = "en"  # the switcher's choice

    response = client.get(SLA, {"year": year})

    assert response.status_code == 200
    assert response.context["year"] is None
    shown = [str(m) for m in get_messages(response.wsgi_request)]
    assert len(shown) == 1 and year in shown[0] and "every year" in shown[0]
    assert year in response.content.decode()


@pytest.mark.parametrize("year, expected", [("2026", 2026), ("2000", 2000), ("", None)])
def test_a_year_within_bounds_or_all_years_shows_no_message(client, health_user, year, expected):
    client.force_login(health_user)

    response = client.get(SLA, {"year": year})

    assert response.status_code == 200
    assert response.context["year"] == expected
    assert list(get_messages(response.wsgi_request)) == []
