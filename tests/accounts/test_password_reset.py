"""Password reset of institution accounts: asked for by the person (never disclosing whether an account
exists), or started by the bureau (sent, or printed); one use; other sessions end."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from luchen_care.accounts.models import PasswordReset, Role, User
from luchen_care.accounts.services.institution_accounts import password_reset_start
from luchen_care.exchange.models import PushDelivery
from luchen_care.exchange.services import delivery_attempt
from tests.factories import InstitutionFactory, UserFactory

from .conftest import mailed_tokens

pytestmark = pytest.mark.django_db
PASSWORD = "Jigou-mima-2026!"
NEW = "Xin-mima-2026-xyz"
RESET = "/portal/password-reset/"
CONFIRM = "/portal/password-reset/confirm/"


@pytest.fixture
def account():
    return User.objects.create_user(
        username="jigou",
        password=PASSWORD,
        email="jigou@example.cn",
        phone="13812345678",
        role=Role.INSTITUTION,
        institution=InstitutionFactory(),
    )


def ask(client, username, contact, **extra):
    return client.post(RESET, {"username": username, "contact": contact}, **extra)


def set_password(client, token, password=NEW):
    return client.post(CONFIRM, {"token": token, "new_password1": password, "new_password2": password})


def test_the_answer_is_the_same_whether_the_account_exists_or_not(client, account):
    pages = [ask(client, "jigou", "jigou@example.cn", REMOTE_ADDR=f"10.0.0.{n}") for n in range(1)] + [
        ask(client, "nobody", "jigou@example.cn", REMOTE_ADDR="10.0.0.2"),
        ask(client, "jigou", "13000000000", REMOTE_ADDR="10.0.0.3"),
    ]
    assert {page.status_code for page in pages} == {200}
    bodies = {page.content.decode().split('id="reset-done"', 1)[1].split("</p>", 1)[0] for page in pages}
    assert len(bodies) == 1
    assert PasswordReset.objects.filter(user=account).count() == 1


def test_the_link_goes_to_the_email_on_the_account_and_sets_the_password_once(
    client, mail_settings, account, django_capture_on_commit_callbacks
):
    signed_in = client.__class__()
    signed_in.force_login(account)
    with django_capture_on_commit_callbacks(execute=False):
        ask(client, "jigou", "JIGOU@example.cn")
    [row] = PushDelivery.objects.filter(topic="accounts.password_reset")
    assert delivery_attempt(delivery_id=row.pk).outcome == "delivered"
    [token] = mailed_tokens(mail_settings)
    assert client.post(CONFIRM, {"token": token}).status_code == 200
    assert set_password(client, token, "short").status_code == 400
    response = set_password(client, token)
    assert response.status_code == 302 and response["Location"] == reverse("portal:login")
    account.refresh_from_db()
    assert account.check_password(NEW)
    assert signed_in.get(reverse("portal:home")).status_code == 302  # its other session ended
    again = set_password(client, token, "Another-pass-2026")
    assert again.status_code == 410
    account.refresh_from_db()
    assert account.check_password(NEW)


def test_an_expired_reset_link_fails(client, health_user, account):
    issued = password_reset_start(
        actor=health_user,
        user=account,
        now=timezone.now() - datetime.timedelta(days=2),
    )
    assert set_password(client, issued.token).status_code == 410
    account.refresh_from_db()
    assert account.check_password(PASSWORD)


def test_asking_is_rate_limited_by_address(client, account):
    statuses = [ask(client, "jigou", "x@example.cn", REMOTE_ADDR="10.5.5.5").status_code for _ in range(6)]
    assert statuses == [200] * 5 + [429]
    assert ask(client, "jigou", "x@example.cn", REMOTE_ADDR="10.5.5.6").status_code == 200


def test_a_forged_reset_token_is_refused_and_counted(client, account):
    assert set_password(client, "forged-token-00000000000000000000").status_code == 404
    account.refresh_from_db()
    assert account.check_password(PASSWORD)
    statuses = [client.post(CONFIRM, {"token": f"g{n}"}).status_code for n in range(5)]
    assert statuses[-1] == 429


def test_the_bureau_starts_a_reset_from_the_admin_and_prints_it(client, account):
    manager = UserFactory(role=Role.HEALTH_BUREAU, county_administrator=True)
    client.force_login(manager)
    response = client.post(
        reverse("admin:accounts_user_changelist"), {"action": "start_password_reset", "_selected_action": [account.pk]}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert (
        "@media print" in page
        and "/portal/password-reset/confirm/#" in page
        and "no-store" in response["Cache-Control"]
    )
    token = page.split("/portal/password-reset/confirm/#", 1)[1].split("<", 1)[0].strip()
    client.logout()
    assert set_password(client, token).status_code == 302
    account.refresh_from_db()
    assert account.check_password(NEW)
    assert PasswordReset.objects.get().created_by == manager


def test_a_street_office_cannot_start_a_reset(account):
    from django.core.exceptions import PermissionDenied

    office = UserFactory(role=Role.STREET_OFFICE, street=account.institution.street)
    with pytest.raises(PermissionDenied):
        password_reset_start(actor=office, user=account)
    assert not PasswordReset.objects.exists()
