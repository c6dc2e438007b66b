"""The portal's shell: who signs in there, and what its workbench shows."""

import pytest
from django.urls import reverse

from luchen_care.accounts.models import Role, User
from luchen_care.core import workbench
from luchen_care.core.workbench import Audience, Entry
from tests.factories import InstitutionFactory

pytestmark = pytest.mark.django_db
PASSWORD = "Portal-test-2026!"


def institution_user(**extra):
    institution = InstitutionFactory()
    return User.objects.create_user(
        username="jigou", password=PASSWORD, role=Role.INSTITUTION, institution=institution, **extra
    )


def test_an_institution_signs_in_and_lands_on_its_workbench(client):
    user = institution_user()
    response = client.post(reverse("portal:login"), {"username": "jigou", "password": PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("portal:home")
    text = response.content.decode()
    assert user.institution.name in text and "<h1>工作台</h1>" in text


def test_a_staff_account_is_sent_to_the_workbench_sign_in(client):
    User.objects.create_user(username="bureau", password=PASSWORD, role=Role.STREET_OFFICE, is_staff=True)
    response = client.post(reverse("portal:login"), {"username": "bureau", "password": PASSWORD})
    assert response.status_code == 200
    assert [e.code for e in response.context["form"].non_field_errors().as_data()] == ["not_institution"]
    assert "请在监管工作台登录" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_wrong_password_is_refused_in_chinese(client):
    institution_user()
    response = client.post(reverse("portal:login"), {"username": "jigou", "password": "wrong"})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert [e.code for e in response.context["form"].non_field_errors().as_data()] == ["invalid_login"]


def test_the_portal_home_asks_anonymous_visitors_to_sign_in(client):
    response = client.get(reverse("portal:home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("portal:login"))


def test_the_workbench_lists_every_providers_entries_most_urgent_first(client, monkeypatch):
    monkeypatch.setattr(workbench, "_providers", {audience: [] for audience in Audience})

    def due(user):
        return [Entry(key="test.due", label="待办甲", count=2, url="/portal/?a", order=5)]

    def overdue(user):
        return [Entry(key="test.overdue", label="逾期乙", count=1, url="/portal/?b", urgent=True, order=50)]

    workbench.workbench_register(due, audience=Audience.PORTAL)
    workbench.workbench_register(overdue, audience=Audience.PORTAL)
    workbench.workbench_register(overdue, audience=Audience.PORTAL)  # registered once
    client.force_login(institution_user())
    text = client.get(reverse("portal:home")).content.decode()
    assert text.index("逾期乙") < text.index("待办甲")
    assert text.count("逾期乙") == 1
    assert 'data-count="2"' in text
