"""Invitations to institution accounts: issued by the bureau (sent, or printed), accepted once in the
portal, and nothing else opens an account."""

import datetime

import pytest
from axes.models import AccessAttempt
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from luchen_care.accounts.models import Invitation, LinkState, Role, User, link_token_hash
from luchen_care.accounts.services.institution_accounts import (
    invitation_accept,
    invitation_issue,
    invitation_reissue,
    invitation_revoke,
)
from luchen_care.exchange.models import PushDelivery
from luchen_care.exchange.services import delivery_attempt
from tests.factories import InstitutionFactory, UserFactory, street

from .conftest import mailed_tokens

pytestmark = pytest.mark.django_db

PASSWORD = "Jigou-mima-2026!"
INVITATION = "/portal/invitation/"


@pytest.fixture
def institution():
    return InstitutionFactory(name="小太阳托育中心")


def issue(actor, institution, **kwargs):
    values = {"name": "张园长", "phone": "13812345678", "administrator": True, **kwargs}
    return invitation_issue(actor=actor, institution=institution, **values)


def accept(client, token, username="zhangyz", password=PASSWORD, **extra):
    return client.post(
        INVITATION, {"token": token, "username": username, "password1": password, "password2": password}, **extra
    )


def test_the_bureau_issues_an_invitation_whose_token_is_stored_only_as_a_hash(health_user, institution, settings):
    settings.PUBLIC_BASE_URL = "https://care.example/"  # the link is the platform's public address
    issued = issue(health_user, institution)
    invitation = issued.record
    assert issued.url == f"https://care.example/portal/invitation/#{issued.token}"
    assert invitation.token_hash == link_token_hash(issued.token) and issued.token not in invitation.token_hash
    assert invitation.expires_at - invitation.created_at == datetime.timedelta(days=7)
    assert invitation.state() == LinkState.LIVE
    row = invitation.history.get()
    assert row.history_user == health_user and not hasattr(row, "token_hash")
    assert not issued.sent  # no channel configured: the bureau prints it


def test_the_validity_comes_from_the_setting(settings, health_user, institution):
    settings.INVITATION_VALID_DAYS = 3
    invitation = issue(health_user, institution).record
    assert invitation.expires_at - invitation.created_at == datetime.timedelta(days=3)


def test_with_email_configured_the_link_goes_out_secret(
    mail_settings, health_user, institution, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        issued = issue(health_user, institution, email="zhang@example.cn", phone="")
    assert issued.sent
    [row] = PushDelivery.objects.filter(topic="accounts.invitation")
    assert delivery_attempt(delivery_id=row.pk).outcome == "delivered"
    assert mailed_tokens(mail_settings) == [issued.token]
    row.refresh_from_db()
    assert issued.token not in str(row.payload)  # redacted once sent


@pytest.mark.parametrize("role", [Role.STREET_OFFICE, Role.REGISTRATION_AUTHORITY])
def test_roles_that_cannot_change_the_institution_cannot_invite(role, institution):
    extra = {"street": institution.street} if role == Role.STREET_OFFICE else {"authority": "market_regulation"}
    user = UserFactory(role=role, **extra)
    with pytest.raises(PermissionDenied):
        issue(user, institution)
    assert not Invitation.objects.exists()


def test_the_education_bureau_invites_to_nursery_classes_only(education_user, institution):
    with pytest.raises(PermissionDenied):
        issue(education_user, institution)
    nursery = InstitutionFactory(kind="nursery_class")
    assert issue(education_user, nursery).record.institution == nursery


def test_the_admin_offers_the_invitation_only_where_the_officer_may_invite(client, education_user, institution):
    nursery = InstitutionFactory(kind="nursery_class")
    client.force_login(education_user)
    offered = client.get(reverse("admin:registry_institution_change", args=[nursery.pk])).content.decode()
    assert 'id="invite-institution-account"' in offered
    # The education bureau reads the other kinds it sees, if any, but invites only to nursery classes.
    response = client.get(reverse("admin:registry_institution_change", args=[institution.pk]))
    assert 'id="invite-institution-account"' not in response.content.decode()


def test_an_invitation_needs_a_name_and_a_phone_or_email(health_user, institution):
    with pytest.raises(ValidationError) as refused:
        issue(health_user, institution, name=" ", phone="", email="")
    assert set(refused.value.message_dict) == {"name", "phone"}
    with pytest.raises(ValidationError) as refused:
        issue(health_user, institution, phone="12345")
    assert "phone" in refused.value.message_dict
    assert not Invitation.objects.exists()


def test_accepting_opens_an_account_bound_to_the_institution_and_signs_in(client, health_user, institution):
    issued = issue(health_user, institution)
    checked = client.post(INVITATION, {"token": issued.token})
    assert checked.status_code == 200 and "小太阳托育中心" in checked.content.decode()
    assert checked["Cache-Control"].startswith("no-store") or "no-store" in checked["Cache-Control"]
    response = accept(client, issued.token)
    assert response.status_code == 302 and response["Location"] == reverse("portal:home")
    user = User.objects.get(username="zhangyz")
    assert (user.role, user.institution, user.is_staff, user.is_active) == (Role.INSTITUTION, institution, False, True)
    assert user.institution_administrator and user.first_name == "张园长" and user.phone == "13812345678"
    assert int(client.session["_auth_user_id"]) == user.pk
    issued.record.refresh_from_db()
    assert issued.record.state() == LinkState.USED and issued.record.user == user
    assert user.history.get().history_user == user and issued.record.history.latest().history_user == user
    assert client.get(reverse("portal:home")).status_code == 200


def test_a_used_link_fails_and_changes_nothing(client, health_user, institution):
    issued = issue(health_user, institution)
    accept(client, issued.token)
    client.logout()
    again = accept(client, issued.token, username="someone-else")
    assert again.status_code == 410
    assert "已使用" in again.content.decode()
    assert not User.objects.filter(username="someone-else").exists()
    assert "_auth_user_id" not in client.session


def test_an_expired_link_fails(client, health_user, institution):
    issued = issue(health_user, institution, now=timezone.now() - datetime.timedelta(days=8))
    response = accept(client, issued.token)
    assert response.status_code == 410 and "已过期" in response.content.decode()
    assert not User.objects.filter(role=Role.INSTITUTION).exists()


def test_a_revoked_link_fails(client, health_user, institution):
    issued = issue(health_user, institution)
    invitation_revoke(actor=health_user, invitation=issued.record)
    response = accept(client, issued.token)
    assert response.status_code == 410 and "已撤回" in response.content.decode()
    assert not User.objects.filter(role=Role.INSTITUTION).exists()
    assert issued.record.history.latest().revoked_by == health_user


def test_reissuing_revokes_the_old_link_and_the_new_one_works(client, health_user, institution):
    first = issue(health_user, institution)
    second = invitation_reissue(actor=health_user, invitation=first.record)
    assert second.record.replaces == first.record and second.token != first.token
    assert accept(client, first.token).status_code == 410
    assert accept(client, second.token).status_code == 302


def test_an_unknown_link_says_so_and_counts_as_a_failed_sign_in(client):
    response = accept(client, "forged-token-0000000000000000000000000000")
    assert response.status_code == 404
    assert "链接无效" in response.content.decode()
    assert AccessAttempt.objects.get(username="(invitation link)").failures_since_start == 1
    assert not User.objects.exists() or not User.objects.filter(role=Role.INSTITUTION).exists()


def test_guessing_links_locks_the_address_out(client, health_user, institution):
    statuses = [client.post(INVITATION, {"token": f"guess-{n}"}, REMOTE_ADDR="10.9.9.9").status_code for n in range(6)]
    assert statuses == [404, 404, 404, 404, 429, 429]
    issued = issue(health_user, institution)
    assert client.post(INVITATION, {"token": issued.token}, REMOTE_ADDR="10.9.9.9").status_code == 429
    assert client.post(INVITATION, {"token": issued.token}, REMOTE_ADDR="10.1.1.1").status_code == 200


def test_a_weak_password_or_a_taken_username_is_refused_and_nothing_is_created(client, health_user, institution):
    issued = issue(health_user, institution)
    weak = accept(client, issued.token, password="12345678")
    assert weak.status_code == 400 and "password1" in weak.context["form"].errors
    UserFactory(username="taken")
    taken = accept(client, issued.token, username="taken")
    assert taken.status_code == 400 and "username" in taken.context["form"].errors
    issued.record.refresh_from_db()
    assert issued.record.state() == LinkState.LIVE
    assert not User.objects.filter(role=Role.INSTITUTION).exists()


def test_the_token_never_reaches_the_logs(client, caplog, health_user, institution):
    issued = issue(health_user, institution)
    caplog.set_level("DEBUG")
    client.get(INVITATION)
    accept(client, issued.token, password="weak")
    accept(client, "forged-token-abcdefghijklmnopqrstuvwxyz")
    assert issued.token not in caplog.text and "forged-token" not in caplog.text


def test_knowing_an_institutions_public_particulars_yields_no_session(client, institution):
    """Its credit code, registration number and phone: no invitation, no sign-in, no reset link."""
    particulars = [institution.credit_code, institution.contact_phone, "330302-2026-0001"]
    for value in particulars:
        assert client.post(INVITATION, {"token": value}, REMOTE_ADDR="10.7.7.7").status_code in (404, 429)
        client.post(reverse("portal:login"), {"username": value, "password": institution.credit_code})
        client.post(reverse("accounts_portal:password_reset"), {"username": institution.credit_code, "contact": value})
    assert "_auth_user_id" not in client.session
    assert not User.objects.filter(role=Role.INSTITUTION).exists()
    assert not PushDelivery.objects.exists()


def test_the_bureau_issues_from_the_admin_and_sees_a_printable_page_once(client, health_user, institution):
    client.force_login(health_user)
    change = client.get(reverse("admin:registry_institution_change", args=[institution.pk]))
    assert f"/admin/accounts/invitation/add/?institution={institution.pk}" in change.content.decode()
    response = client.post(
        reverse("admin:accounts_invitation_add"),
        {"institution": institution.pk, "name": "李园长", "phone": "13900001111", "email": "", "administrator": "on"},
    )
    assert response.status_code == 200, response.content.decode()[:3000]
    page = response.content.decode()
    invitation = Invitation.objects.get()
    assert "@media print" in page and "<svg" in page and "/portal/invitation/#" in page
    assert "no-store" in response["Cache-Control"]
    token = page.split("/portal/invitation/#", 1)[1].split("<", 1)[0].strip()
    assert link_token_hash(token) == invitation.token_hash
    detail = client.get(reverse("admin:accounts_invitation_change", args=[invitation.pk])).content.decode()
    assert token not in detail and invitation.token_hash not in detail


def test_the_admin_refuses_an_institution_out_of_scope(client, institution):
    other_street = street("330302006")
    office = UserFactory(role=Role.STREET_OFFICE, street=other_street)
    client.force_login(office)
    assert client.get(reverse("admin:accounts_invitation_add")).status_code == 403
    education = UserFactory(role=Role.EDUCATION_BUREAU)
    client.force_login(education)
    response = client.post(
        reverse("admin:accounts_invitation_add"),
        {"institution": institution.pk, "name": "李园长", "phone": "13900001111", "email": ""},
    )
    assert response.status_code == 200 and "institution" in response.context["adminform"].form.errors
    assert not Invitation.objects.exists()


def test_the_staff_workbench_counts_the_institutions_to_invite_as_its_list_shows(client, health_user):
    from luchen_care.core.workbench import Audience, workbench_entries
    from tests.factories import RegistrationFactory

    to_invite = RegistrationFactory().institution
    invited = RegistrationFactory().institution
    issue(health_user, invited)
    with_account = RegistrationFactory().institution
    User.objects.create_user(username="has-account", role=Role.INSTITUTION, institution=with_account, password=PASSWORD)
    InstitutionFactory(name="未登记托育园")  # no registration reached the platform: not yet
    [entry] = [e for e in workbench_entries(health_user, audience=Audience.STAFF) if e.key.endswith("to_invite")]
    assert entry.count == 1
    client.force_login(health_user)
    listed = client.get(entry.url)
    assert listed.status_code == 200
    assert [i.pk for i in listed.context["cl"].queryset] == [to_invite.pk]
    office = UserFactory(role=Role.STREET_OFFICE, street=to_invite.street)
    assert not [e for e in workbench_entries(office, audience=Audience.STAFF) if e.key.endswith("to_invite")]


def test_the_bureau_reissues_from_the_admin_after_confirming(client, health_user, institution):
    first = issue(health_user, institution)
    client.force_login(health_user)
    changelist = reverse("admin:accounts_invitation_changelist")
    selection = {"action": "reissue", "_selected_action": [first.record.pk], "index": "0"}
    confirm = client.post(changelist, selection)
    assert confirm.status_code == 200 and 'id="invitation-reissue-form"' in confirm.content.decode()
    first.record.refresh_from_db()
    assert first.record.state() == LinkState.LIVE  # nothing changed before confirming
    printed = client.post(changelist, {**selection, "apply": "1"})
    assert printed.status_code == 200 and "@media print" in printed.content.decode()
    first.record.refresh_from_db()
    assert first.record.state() == LinkState.REVOKED
    assert Invitation.objects.get(replaces=first.record).state() == LinkState.LIVE
    history = client.get(reverse("admin:accounts_invitation_history", args=[first.record.pk])).content.decode()
    assert first.record.token_hash not in history and first.token not in history


def test_links_are_built_from_the_public_address_never_from_the_host_header(settings, client, health_user, institution):
    settings.PUBLIC_BASE_URL = "https://care.lucheng.example"
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "attacker.example"]
    client.force_login(health_user)
    response = client.post(
        reverse("admin:accounts_invitation_add"),
        {"institution": institution.pk, "name": "李园长", "phone": "13900001111", "email": "", "administrator": "on"},
        HTTP_HOST="attacker.example",
    )
    page = response.content.decode()
    assert response.status_code == 200 and "https://care.lucheng.example/portal/invitation/#" in page
    assert "attacker.example" not in page


def test_a_wrong_link_token_is_never_stored_readable_by_the_login_limits(settings, client):
    from axes.models import AccessFailureLog

    settings.AXES_ENABLE_ACCESS_FAILURE_LOG = True
    guess = "forged-token-readable-0000000000000000000"
    assert accept(client, guess).status_code == 404
    attempt = AccessAttempt.objects.get(username="(invitation link)")
    failure = AccessFailureLog.objects.get(username="(invitation link)")
    for row in (attempt, failure):
        stored = " ".join(str(getattr(row, field.attname)) for field in row._meta.concrete_fields)
        assert guess not in stored and PASSWORD not in stored
    assert "token=********************" in attempt.post_data  # the field is recorded, masked


def director_of(institution, username="yuanzhang"):
    return User.objects.create_user(
        username=username,
        password=PASSWORD,
        role=Role.INSTITUTION,
        institution=institution,
        institution_administrator=True,
    )


def test_an_invitation_of_an_administrator_demoted_since_no_longer_opens_an_account(client, institution):
    director = director_of(institution)
    issued = issue(director, institution, administrator=False)
    director.institution_administrator = False  # the bureau unticks it in the admin, say
    director.save(update_fields=["institution_administrator"])
    response = accept(client, issued.token)
    assert response.status_code == 410 and "链接已撤回" in response.content.decode()
    with pytest.raises(ValidationError) as refused:
        invitation_accept(token=issued.token, username="laoshi", password=PASSWORD)
    assert "token" in refused.value.message_dict
    assert not User.objects.filter(username__in=["zhangyz", "laoshi"]).exists()


def test_an_invitation_of_a_deactivated_administrator_no_longer_opens_an_account(client, institution):
    director = director_of(institution)
    issued = issue(director, institution, administrator=False)
    director.is_active = False
    director.save(update_fields=["is_active"])
    assert accept(client, issued.token).status_code == 410
    assert not User.objects.filter(username="zhangyz").exists()


def test_the_bureaus_invitation_stays_valid_whoever_is_administrator_since(client, health_user, institution):
    issued = issue(health_user, institution, administrator=False)
    director = director_of(institution, "first")
    director.is_active = False
    director.save(update_fields=["is_active"])
    assert accept(client, issued.token).status_code == 302
    assert User.objects.get(username="zhangyz").institution == institution
