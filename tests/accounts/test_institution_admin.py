"""The institution's own administrator: invites colleagues, removes them, hands the role over; every
change in the account's history; nobody else manages them."""

import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.db.models.signals import post_save
from django.urls import reverse

from luchen_care.accounts.models import Invitation, LinkState, Role, User
from luchen_care.accounts.services.institution_accounts import (
    colleague_remove,
    institution_administrator_hand_over,
    invitation_issue,
)
from tests.factories import InstitutionFactory

pytestmark = pytest.mark.django_db
PASSWORD = "Jigou-mima-2026!"


def member(institution, username, *, administrator=False, **extra):
    return User.objects.create_user(
        username=username,
        password=PASSWORD,
        role=Role.INSTITUTION,
        institution=institution,
        institution_administrator=administrator,
        first_name=username,
        **extra,
    )


@pytest.fixture
def institution():
    return InstitutionFactory(name="小太阳托育中心")


@pytest.fixture
def director(institution):
    return member(institution, "director", administrator=True)


@pytest.fixture
def teacher(institution):
    return member(institution, "teacher")


def test_the_administrator_invites_a_colleague_and_gets_a_printable_link(client, director):
    client.force_login(director)
    page = client.get(reverse("accounts_portal:colleagues")).content.decode()
    assert 'id="invite-colleague"' in page
    response = client.post(
        reverse("accounts_portal:colleague_invite"), {"name": "王老师", "phone": "13700002222", "send": "on"}
    )
    assert response.status_code == 200 and "@media print" in response.content.decode()
    invitation = Invitation.objects.get()
    assert (invitation.institution, invitation.administrator, invitation.created_by) == (
        director.institution,
        False,
        director,
    )
    assert invitation.history.get().history_user == director
    assert "王老师" in client.get(reverse("accounts_portal:colleagues")).content.decode()


def test_the_administrator_cannot_name_another_administrator_by_invitation(director):
    from luchen_care.accounts.services.institution_accounts import invitation_issue

    with pytest.raises(ValidationError) as refused:
        invitation_issue(
            actor=director, institution=director.institution, name="x", phone="13700002222", administrator=True,
        )  # fmt: skip
    assert "administrator" in refused.value.message_dict


def test_removing_a_colleague_deactivates_it_records_who_and_ends_its_sessions(client, director, teacher):
    teachers_browser = client.__class__()
    teachers_browser.force_login(teacher)
    assert teachers_browser.get(reverse("portal:home")).status_code == 200
    client.force_login(director)
    response = client.post(reverse("accounts_portal:colleague_remove", args=[teacher.pk]))
    assert response.status_code == 302
    teacher.refresh_from_db()
    assert not teacher.is_active and User.objects.filter(pk=teacher.pk).exists()  # never deleted
    latest = teacher.history.latest()
    assert latest.history_user == director and latest.is_active is False
    assert latest.prev_record.is_active is True
    assert teachers_browser.get(reverse("portal:home")).status_code == 302  # signed out


def test_handing_over_the_administrator_role(client, director, teacher):
    client.force_login(director)
    client.post(reverse("accounts_portal:colleague_administrator", args=[teacher.pk]))
    director.refresh_from_db()
    teacher.refresh_from_db()
    assert teacher.institution_administrator and not director.institution_administrator
    assert teacher.history.latest().history_user == director
    assert director.history.latest().history_user == director
    # The former director sees no management action and cannot take any.
    page = client.get(reverse("accounts_portal:colleagues")).content.decode()
    assert 'id="invite-colleague"' not in page and "colleague_remove" not in page
    assert client.post(reverse("accounts_portal:colleague_remove", args=[teacher.pk])).status_code == 404
    teacher.refresh_from_db()
    assert teacher.is_active


def test_the_last_administrator_cannot_leave(client, director, teacher):
    client.force_login(director)
    response = client.post(reverse("accounts_portal:colleague_remove", args=[director.pk]), follow=True)
    assert "唯一的管理员" in response.content.decode()
    director.refresh_from_db()
    assert director.is_active and director.institution_administrator
    with pytest.raises(ValidationError):
        colleague_remove(actor=director, colleague=director)


def test_a_colleague_cannot_manage_colleagues(client, director, teacher):
    client.force_login(teacher)
    page = client.get(reverse("accounts_portal:colleagues"))
    assert page.status_code == 200 and 'id="invite-colleague"' not in page.content.decode()
    assert client.get(reverse("accounts_portal:colleague_invite")).status_code == 404
    assert (
        client.post(reverse("accounts_portal:colleague_invite"), {"name": "x", "phone": "13700002222"}).status_code
        == 404
    )
    assert client.post(reverse("accounts_portal:colleague_remove", args=[director.pk])).status_code == 404
    assert client.post(reverse("accounts_portal:colleague_administrator", args=[teacher.pk])).status_code == 404
    director.refresh_from_db()
    teacher.refresh_from_db()
    assert director.is_active and director.institution_administrator and not teacher.institution_administrator
    assert not Invitation.objects.exists()


def test_another_institutions_administrator_gets_404_and_changes_nothing(client, teacher):
    other = member(InstitutionFactory(name="月亮湾托育园"), "other-director", administrator=True)
    client.force_login(other)
    assert client.post(reverse("accounts_portal:colleague_remove", args=[teacher.pk])).status_code == 404
    assert client.post(reverse("accounts_portal:colleague_administrator", args=[teacher.pk])).status_code == 404
    teacher.refresh_from_db()
    assert teacher.is_active
    assert "teacher" not in client.get(reverse("accounts_portal:colleagues")).content.decode()
    with pytest.raises(Exception):  # noqa: B017  (PermissionDenied)
        institution_administrator_hand_over(actor=other, colleague=teacher)


def test_the_administrator_withdraws_and_reissues_an_invitation(client, director):
    client.force_login(director)
    client.post(reverse("accounts_portal:colleague_invite"), {"name": "王老师", "phone": "13700002222"})
    first = Invitation.objects.get()
    reissued = client.post(reverse("accounts_portal:invitation_reissue", args=[first.pk]))
    assert reissued.status_code == 200 and "/portal/invitation/#" in reissued.content.decode()
    first.refresh_from_db()
    second = Invitation.objects.get(replaces=first)
    assert first.state() == LinkState.REVOKED
    client.post(reverse("accounts_portal:invitation_revoke", args=[second.pk]))
    second.refresh_from_db()
    assert second.state() == LinkState.REVOKED and second.revoked_by == director


def test_my_account_changes_the_password_and_ends_other_sessions(client, teacher):
    other_browser = client.__class__()
    other_browser.force_login(teacher)
    client.post(reverse("portal:login"), {"username": "teacher", "password": PASSWORD})
    page = client.get(reverse("accounts_portal:account"))
    assert page.status_code == 200 and "最近登录记录" in page.content.decode()
    weak = client.post(
        reverse("accounts_portal:account"),
        {"old_password": PASSWORD, "new_password1": "abc", "new_password2": "abc"},
    )
    assert weak.status_code == 400
    new = "Xin-mima-2026-abc"
    done = client.post(
        reverse("accounts_portal:account"), {"old_password": PASSWORD, "new_password1": new, "new_password2": new}
    )
    assert done.status_code == 302
    assert client.get(reverse("portal:home")).status_code == 200  # this session stays
    assert other_browser.get(reverse("portal:home")).status_code == 302  # the other one ended


def invite(actor, name="新老师"):
    return invitation_issue(actor=actor, institution=actor.institution, name=name, phone="13700003333")


def test_the_invitation_link_uses_the_public_address_not_the_host_header(settings, client, director):
    settings.PUBLIC_BASE_URL = "https://care.lucheng.example"
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "attacker.example"]
    client.force_login(director)
    response = client.post(
        reverse("accounts_portal:colleague_invite"),
        {"name": "王老师", "phone": "13700002222"},
        HTTP_HOST="attacker.example",
    )
    page = response.content.decode()
    assert response.status_code == 200 and "https://care.lucheng.example/portal/invitation/#" in page
    assert "attacker.example" not in page


def test_removing_an_administrator_withdraws_the_invitations_it_issued(client, institution, director):
    deputy = member(institution, "deputy", administrator=True)
    left_behind = invite(deputy, "副园长邀请的人")
    kept = invite(director, "园长邀请的人")
    client.force_login(director)
    assert client.post(reverse("accounts_portal:colleague_remove", args=[deputy.pk])).status_code == 302
    left_behind.record.refresh_from_db()
    kept.record.refresh_from_db()
    assert left_behind.record.state() == LinkState.REVOKED and left_behind.record.revoked_by == director
    assert left_behind.record.history.latest().history_user == director
    assert kept.record.state() == LinkState.LIVE
    opened = client.__class__().post(
        "/portal/invitation/",
        {"token": left_behind.token, "username": "houmen", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert opened.status_code == 410 and not User.objects.filter(username="houmen").exists()


def test_handing_over_withdraws_the_former_administrators_invitations(director, teacher):
    issued = invite(director)
    institution_administrator_hand_over(actor=director, colleague=teacher)
    issued.record.refresh_from_db()
    assert issued.record.state() == LinkState.REVOKED and issued.record.revoked_by == director


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_administrators_removing_each_other_at_once_leave_one():
    """Both requests reach their save before either commits; the locks make the second wait and see the
    first, so the institution keeps an administrator."""
    institution = InstitutionFactory(name="并发托育中心")
    first = member(institution, "first", administrator=True)
    second = member(institution, "second", administrator=True)
    both_saving = threading.Barrier(2, timeout=3)

    def wait_for_the_other(sender, instance, update_fields=None, **kwargs):
        if update_fields and "is_active" in update_fields:
            try:
                both_saving.wait()
            except threading.BrokenBarrierError:
                pass  # the other one is held by a lock: go on and commit

    outcomes = {}

    def remove(actor_pk, colleague_pk):
        try:
            actor = User.objects.get(pk=actor_pk)
            colleague_remove(actor=actor, colleague=User.objects.get(pk=colleague_pk))
            outcomes[actor_pk] = "removed"
        except (ValidationError, PermissionDenied) as exc:
            outcomes[actor_pk] = type(exc).__name__
        finally:
            connection.close()

    post_save.connect(wait_for_the_other, sender=User, dispatch_uid="race")
    try:
        threads = [
            threading.Thread(target=remove, args=(first.pk, second.pk)),
            threading.Thread(target=remove, args=(second.pk, first.pk)),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    finally:
        post_save.disconnect(dispatch_uid="race", sender=User)
    assert sorted(outcomes.values()) == ["PermissionDenied", "removed"]
    assert User.objects.filter(institution=institution, institution_administrator=True, is_active=True).count() == 1
