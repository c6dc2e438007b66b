"""The portal's sign-in: its links, its redirect, and the login limits and their record, as on the admin's."""

import pytest
from axes.models import AccessAttempt, AccessLog
from django.urls import reverse

from luchen_care.accounts.models import Role, User
from tests.factories import InstitutionFactory

pytestmark = pytest.mark.django_db
PASSWORD = "Jigou-mima-2026!"
LOGIN = "/portal/login/"


@pytest.fixture
def account():
    return User.objects.create_user(
        username="jigou", password=PASSWORD, role=Role.INSTITUTION, institution=InstitutionFactory()
    )


def sign_in(client, password, address="10.30.0.1"):
    return client.post(LOGIN, {"username": "jigou", "password": password}, REMOTE_ADDR=address)


def test_the_page_links_to_password_reset_and_the_home_page_to_it(client):
    page = client.get(LOGIN).content.decode()
    assert reverse("accounts_portal:password_reset") in page
    home = client.get("/").content.decode()
    assert "机构登录" in home and f'href="{LOGIN}"' in home


def test_a_signed_in_institution_user_goes_to_its_workbench(client, account):
    client.force_login(account)
    response = client.get(LOGIN)
    assert response.status_code == 302 and response["Location"] == reverse("portal:home")


def test_five_wrong_passwords_lock_out_and_are_recorded_like_the_admins(client, account):
    statuses = [sign_in(client, "wrong").status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 200, 429]
    attempt = AccessAttempt.objects.get(username="jigou")
    assert attempt.failures_since_start == 5 and attempt.path_info == LOGIN and attempt.ip_address == "10.30.0.1"
    locked = sign_in(client, PASSWORD)
    assert locked.status_code == 429 and "登录失败次数过多" in locked.content.decode()
    assert "_auth_user_id" not in client.session
    ok = sign_in(client, PASSWORD, address="10.30.0.2")
    assert ok.status_code == 302
    assert AccessLog.objects.filter(username="jigou", path_info=LOGIN).exists()  # the sign-in is recorded
