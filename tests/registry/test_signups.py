"""An institution's self-service sign-up to the portal: knowing its credit code, registration number
and phone never yields a session; the code goes to the phone on record only; the bureau activates
or rejects, within its scope."""

import datetime
import json
import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from luchen_care.accounts.models import Authority, Role, User
from luchen_care.audit.models import PersonalDataAccess
from luchen_care.core.workbench import Audience, workbench_entries
from luchen_care.exchange.models import Channel, PushDelivery
from luchen_care.exchange.services import delivery_attempt
from registry.models import PortalSignup, SignupState
from registry.services.signups import (
    CODE_TOPIC,
    CODE_WITHHELD,
    NO_MATCH,
    portal_signup_activate,
    portal_signup_reject,
)
from tests.exchange.conftest import SMS_PATH
from tests.factories import InstitutionFactory, RegistrationFactory, UserFactory, make_credit_code

pytestmark = pytest.mark.django_db

PASSWORD = "Jigou-zhuce-2026!"
PHONE = "13905770001"
NUMBER = "330302MA0000SIGNUP1"


@pytest.fixture
def registered():
    """An operating institution with its contact phone on record, and its registration."""
    institution = InstitutionFactory(
        name="鹿城区自助注册托育园", credit_code=make_credit_code(880_001), contact_phone=PHONE
    )
    registration = RegistrationFactory(
        credit_code=institution.credit_code,
        registration_number=NUMBER,
        institution_name=institution.name,
        street_code=institution.street.code,
        address=institution.address,
        legal_representative=institution.legal_representative,
        authority=Authority.MARKET_REGULATION,
    )
    return institution, registration


def signup_data(institution, **overrides):
    return {
        "credit_code": institution.credit_code,
        "registration_number": NUMBER,
        "phone": PHONE,
        "username": "zizhu-jigou",
        "email": "",
        "password1": PASSWORD,
        "password2": PASSWORD,
        **overrides,
    }


def sign_up(client, institution, **overrides):
    return client.post(reverse("registry_portal:signup"), signup_data(institution, **overrides))


def portal_sign_in(client, username="zizhu-jigou", password=PASSWORD):
    return client.post(reverse("portal:login"), {"username": username, "password": password})


def signed_in(client):
    return "_auth_user_id" in client.session


def sent_code(receiver, django_capture_on_commit_callbacks, client, institution, **overrides):
    """Sign up with SMS configured; deliver the code's outbox row to the loopback gateway; return
    (the response, the code the gateway received, the phone it was sent to)."""
    with django_capture_on_commit_callbacks(execute=False):
        response = sign_up(client, institution, **overrides)
    [row] = PushDelivery.objects.filter(topic=CODE_TOPIC)
    assert row.channel == Channel.SMS
    assert delivery_attempt(delivery_id=row.pk).outcome == "delivered"
    [request] = receiver.received(SMS_PATH)
    document = json.loads(request.body.decode("utf-8"))
    code = re.search(r"(?<!\d)\d{6}(?!\d)", document["text"]).group()
    return response, code, document["phone"]


# --- no session from the three details -------------------------------------------------------------


def test_knowing_the_credit_code_registration_number_and_phone_gives_no_session(client, registered):
    institution, _registration = registered
    response = sign_up(client, institution)
    assert response.status_code == 302 and response["Location"] == reverse("registry_portal:signup-pending")
    assert not signed_in(client)
    signup = PortalSignup.objects.get()
    assert signup.state == SignupState.PENDING and signup.institution == institution
    account = signup.account
    assert not account.is_active and account.role == Role.INSTITUTION and account.institution == institution
    assert account.check_password(PASSWORD)
    # No SMS channel configured: no code exists, the bureau activates.
    assert signup.code_hash == "" and not PushDelivery.objects.filter(topic=CODE_TOPIC).exists()
    assert client.get(response["Location"]).status_code == 200
    # The portal refuses a session, saying the account awaits activation (its password was right).
    refused = portal_sign_in(client)
    assert refused.status_code == 200 and not signed_in(client)
    assert refused.context["form"].non_field_errors().as_data()[0].code == "awaiting_activation"
    # The code page takes no code when none was sent; the portal's pages stay closed.
    assert client.get(reverse("registry_portal:signup-confirm")).status_code == 302
    client.post(reverse("registry_portal:signup-confirm"), {"code": "000000"})
    assert not signed_in(client)
    assert client.get(reverse("portal:home"))["Location"].startswith(reverse("portal:login"))


def test_a_wrong_password_of_a_pending_account_is_refused_like_any_other(client, registered):
    institution, _registration = registered
    sign_up(client, institution)
    wrong = portal_sign_in(client, password="Not-the-password-1")
    unknown = portal_sign_in(client, username="nobody-here", password="Not-the-password-1")
    assert not signed_in(client)
    # Without the password, a pending account is answered exactly as an unknown username.
    assert wrong.context["form"].non_field_errors() == unknown.context["form"].non_field_errors()
    assert wrong.context["form"].non_field_errors().as_data()[0].code == "invalid_login"


def test_the_code_goes_to_the_phone_on_record_and_activates_the_account(
    client, registered, notice_settings, receiver, django_capture_on_commit_callbacks
):
    institution, _registration = registered
    response, code, phone = sent_code(
        receiver, django_capture_on_commit_callbacks, client, institution, phone="+86 139-0577-0001"
    )
    assert response["Location"] == reverse("registry_portal:signup-confirm")
    assert phone == PHONE  # the number on record, not the one typed (+86 139-0577-0001)
    signup = PortalSignup.objects.get()
    assert signup.code_sent_to == PHONE and signup.phone_typed == "+86 139-0577-0001"
    assert code not in signup.code_hash
    assert not signed_in(client)
    # The code page without the code: refused, no session.
    empty = client.post(reverse("registry_portal:signup-confirm"), {"code": ""})
    assert empty.status_code == 200 and empty.context["form"].errors["code"] and not signed_in(client)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    refused = client.post(reverse("registry_portal:signup-confirm"), {"code": wrong})
    assert refused.status_code == 200 and "4" in refused.context["form"].errors["code"][0]
    assert not signed_in(client)
    accepted = client.post(reverse("registry_portal:signup-confirm"), {"code": code})
    assert accepted.status_code == 302 and accepted["Location"] == reverse("portal:home")
    assert signed_in(client)
    signup.refresh_from_db()
    assert signup.state == SignupState.ACTIVATED and signup.step == "confirm" and signup.decided_by is None
    assert signup.account.is_active
    home = client.get(reverse("portal:home"))
    assert home.status_code == 200 and institution.name in home.content.decode()
    # The code is kept nowhere readable: not on the sign-up, nor in its history.
    history = list(PortalSignup.history.filter(id=signup.pk).values())
    assert all("code_hash" not in row for row in history)
    assert [row["state"] for row in history][0] == SignupState.ACTIVATED


def test_a_code_is_never_sent_to_a_number_typed_that_is_not_on_record(
    client, registered, notice_settings, receiver, django_capture_on_commit_callbacks
):
    institution, _registration = registered
    with django_capture_on_commit_callbacks(execute=False):
        response = sign_up(client, institution, phone="13905779999")
    assert response.status_code == 200
    assert str(NO_MATCH) in [str(e) for e in response.context["form"].non_field_errors()]
    assert not PushDelivery.objects.filter(topic=CODE_TOPIC).exists() and receiver.received(SMS_PATH) == []
    assert not PortalSignup.objects.exists() and not User.objects.filter(username="zizhu-jigou").exists()


def test_five_wrong_codes_expire_the_sign_up_for_good(
    client, registered, notice_settings, receiver, django_capture_on_commit_callbacks
):
    institution, _registration = registered
    _response, code, _phone = sent_code(receiver, django_capture_on_commit_callbacks, client, institution)
    wrong = f"{(int(code) + 7) % 1_000_000:06d}"
    for _attempt in range(4):
        assert client.post(reverse("registry_portal:signup-confirm"), {"code": wrong}).status_code == 200
    last = client.post(reverse("registry_portal:signup-confirm"), {"code": wrong})
    assert last.status_code == 302 and last["Location"] == reverse("registry_portal:signup-pending")
    signup = PortalSignup.objects.get()
    assert signup.state == SignupState.EXPIRED and signup.code_attempts == 5 and signup.code_hash == ""
    # The right code now changes nothing: no session, the account inactive.
    client.post(reverse("registry_portal:signup-confirm"), {"code": code})
    assert not signed_in(client)
    signup.account.refresh_from_db()
    assert not signup.account.is_active
    assert portal_sign_in(client).status_code == 200 and not signed_in(client)


def test_a_code_entered_after_its_time_expires_the_sign_up(
    client, registered, notice_settings, receiver, django_capture_on_commit_callbacks
):
    institution, _registration = registered
    _response, code, _phone = sent_code(receiver, django_capture_on_commit_callbacks, client, institution)
    PortalSignup.objects.update(code_expires_at=timezone.now() - datetime.timedelta(seconds=1))
    response = client.post(reverse("registry_portal:signup-confirm"), {"code": code})
    assert response.status_code == 302 and not signed_in(client)
    assert PortalSignup.objects.get().state == SignupState.EXPIRED
    # The institution may sign up again, with another username.
    with django_capture_on_commit_callbacks(execute=False):
        again = sign_up(client, institution, username="lingyige")
    assert again.status_code == 302, again.context["form"].errors
    assert PortalSignup.objects.filter(state=SignupState.PENDING).count() == 1


# --- what a mismatch says, and what it stores -------------------------------------------------------


@pytest.mark.parametrize(
    "overrides",
    [
        {"registration_number": "330302MA0000WRONG01"},
        {"phone": "13905779999"},
        {"credit_code": make_credit_code(880_002)},  # a well-formed code of no institution
    ],
    ids=["wrong number", "wrong phone", "unknown institution"],
)
def test_a_mismatch_says_one_thing_and_stores_nothing(client, registered, overrides):
    institution, _registration = registered
    users, signups = User.objects.count(), PortalSignup.objects.count()
    response = sign_up(client, institution, **overrides)
    assert response.status_code == 200
    form = response.context["form"]
    assert [str(e) for e in form.non_field_errors()] == [str(NO_MATCH)]
    assert not any(form.errors.get(name) for name in ("credit_code", "registration_number", "phone"))
    assert institution.name not in response.content.decode()
    assert User.objects.count() == users and PortalSignup.objects.count() == signups


def test_another_institutions_number_with_this_code_is_a_mismatch(client, registered):
    institution, _registration = registered
    other = InstitutionFactory(credit_code=make_credit_code(880_003), contact_phone=PHONE)
    RegistrationFactory(
        credit_code=other.credit_code,
        registration_number="330302MA0000OTHER01",
        institution_name=other.name,
        street_code=other.street.code,
        address=other.address,
        legal_representative=other.legal_representative,
    )
    response = sign_up(client, institution, registration_number="330302MA0000OTHER01")
    assert [str(e) for e in response.context["form"].non_field_errors()] == [str(NO_MATCH)]
    assert not PortalSignup.objects.exists()


def test_too_many_mismatches_from_one_address_refuse_even_the_right_details(client, registered, settings):
    settings.PORTAL_SIGNUP_ADDRESS_LIMIT = 3
    institution, _registration = registered
    for _attempt in range(3):
        sign_up(client, institution, phone="13905779999")
    response = sign_up(client, institution)
    assert response.status_code == 200 and not PortalSignup.objects.exists()
    assert response.context["form"].non_field_errors().as_data()[0].code == "throttled"
    # Another address is not refused.
    assert (
        client.post(reverse("registry_portal:signup"), signup_data(institution), REMOTE_ADDR="10.0.0.9").status_code
        == 302
    )


def test_a_weak_password_is_refused_on_its_field(client, registered):
    institution, _registration = registered
    response = sign_up(client, institution, password1="abcdefgh", password2="abcdefgh")
    assert response.status_code == 200 and response.context["form"].errors["password1"]
    assert not PortalSignup.objects.exists()


def test_an_institution_with_an_active_account_is_sent_to_its_administrator(client, registered):
    institution, _registration = registered
    User.objects.create_user(username="jigou-admin", password=PASSWORD, role=Role.INSTITUTION, institution=institution)
    response = sign_up(client, institution)
    assert response.context["form"].non_field_errors().as_data()[0].code == "has_account"
    assert not PortalSignup.objects.exists()


def test_one_pending_sign_up_at_a_time(client, registered):
    institution, _registration = registered
    sign_up(client, institution)
    response = sign_up(client, institution, username="lingyige")
    assert response.context["form"].non_field_errors().as_data()[0].code == "pending", response.context["form"].errors
    assert PortalSignup.objects.count() == 1 and not User.objects.filter(username="lingyige").exists()


# --- the bureau's decision ---------------------------------------------------------------------------


def decide(client, signup, action, comment=""):
    data = {"action": action, "_selected_action": [signup.pk], "index": "0", "apply": "1", "comment": comment}
    return client.post(reverse("admin:registry_portalsignup_changelist"), data)


def test_the_bureau_activates_a_sign_up_and_then_the_institution_gets_in(client, registered, health_user):
    institution, _registration = registered
    sign_up(client, institution)
    signup = PortalSignup.objects.get()
    client.force_login(health_user)
    # The workbench counts what its link lists.
    [entry] = [
        e for e in workbench_entries(health_user, audience=Audience.STAFF) if e.key == "registry.portal_signups_pending"
    ]
    listed = client.get(entry.url)
    assert entry.count == 1 and listed.context["cl"].result_count == 1 and "zizhu-jigou" in listed.content.decode()
    # Its page shows the phone given: each view is in the access log of personal data.
    page = client.get(reverse("admin:registry_portalsignup_change", args=[signup.pk]))
    assert page.status_code == 200 and PHONE in page.content.decode()
    assert PersonalDataAccess.objects.filter(user=health_user, record_type__endswith="portalsignup").count() == 1
    confirmation = client.post(
        reverse("admin:registry_portalsignup_changelist"),
        {"action": "activate", "_selected_action": [signup.pk], "index": "0"},
    )
    assert 'id="signup-decision-form"' in confirmation.content.decode()
    assert decide(client, signup, "activate", "已电话核实").status_code == 302
    signup.refresh_from_db()
    assert signup.state == SignupState.ACTIVATED and signup.decided_by == health_user and signup.comment == "已电话核实"
    assert signup.account.is_active
    # The institution's first account administers it: it invites and removes its colleagues.
    assert signup.account.institution_administrator
    assert signup.account.history.latest().history_user == health_user
    client.logout()
    response = portal_sign_in(client)
    assert response.status_code == 302 and signed_in(client)


def test_the_bureau_rejects_with_a_reason_and_the_account_stays_shut(client, registered, health_user):
    institution, _registration = registered
    sign_up(client, institution)
    signup = PortalSignup.objects.get()
    client.force_login(health_user)
    without = decide(client, signup, "reject")
    assert without.status_code == 200 and without.context["form"].errors["comment"]
    assert PortalSignup.objects.get().state == SignupState.PENDING
    decide(client, signup, "reject", "机构称未申请")
    signup.refresh_from_db()
    assert signup.state == SignupState.REJECTED and signup.comment == "机构称未申请"
    client.logout()
    assert portal_sign_in(client).status_code == 200 and not signed_in(client)
    with pytest.raises(ValidationError):  # a final state takes no further step
        portal_signup_activate(signup=signup, actor=health_user)


def test_a_bureau_of_another_county_cannot_see_or_activate(client, registered):
    from luchen_care.regions.models import County
    from registry.services.streets import county_streets_load

    county_streets_load(code="330303")
    longwan = UserFactory(username="longwan", role=Role.HEALTH_BUREAU, county=County.objects.get(code="330303"))
    institution, _registration = registered
    sign_up(client, institution)
    signup = PortalSignup.objects.get()
    client.force_login(longwan)
    assert client.get(reverse("admin:registry_portalsignup_change", args=[signup.pk])).status_code == 404
    decide(client, signup, "activate", "越权")
    assert PortalSignup.objects.get().state == SignupState.PENDING
    with pytest.raises(PermissionDenied):
        portal_signup_activate(signup=signup, actor=longwan)
    with pytest.raises(PermissionDenied):
        portal_signup_reject(signup=signup, actor=longwan, comment="越权")
    assert [
        e.count for e in workbench_entries(longwan, audience=Audience.STAFF) if e.key.startswith("registry.portal")
    ] == [0]


def test_a_street_office_reads_no_sign_ups(client, registered, wuma_user):
    institution, _registration = registered
    sign_up(client, institution)
    client.force_login(wuma_user)
    assert client.get(reverse("admin:registry_portalsignup_changelist")).status_code == 403
    assert not [e for e in workbench_entries(wuma_user, audience=Audience.STAFF) if e.key.startswith("registry.portal")]


def test_the_workbench_entry_asks_one_count_whatever_the_data(client, health_user, django_assert_num_queries):
    from registry.workbench import pending_signups_entries

    def pending(start, n):
        for i in range(start, start + n):
            institution = InstitutionFactory(credit_code=make_credit_code(881_000 + i), contact_phone=PHONE)
            number = f"330302MA00COUNT{i:04d}"
            RegistrationFactory(
                credit_code=institution.credit_code,
                registration_number=number,
                institution_name=institution.name,
                street_code=institution.street.code,
                address=institution.address,
                legal_representative=institution.legal_representative,
            )
            data = signup_data(institution, registration_number=number, username=f"count-{i}")
            assert client.post(reverse("registry_portal:signup"), data).status_code == 302
            client.session.flush()

    health_user = User.objects.get(pk=health_user.pk)
    pending(0, 1)
    with django_assert_num_queries(1):
        [one] = pending_signups_entries(health_user)
    pending(1, 3)
    with django_assert_num_queries(1):
        [four] = pending_signups_entries(health_user)
    assert (one.count, four.count) == (1, 4)


def test_a_landline_on_record_takes_no_sms_and_the_bureau_activates(client, notice_settings, receiver):
    institution = InstitutionFactory(credit_code=make_credit_code(880_201), contact_phone="0577-88880000")
    RegistrationFactory(
        credit_code=institution.credit_code,
        registration_number=NUMBER,
        institution_name=institution.name,
        street_code=institution.street.code,
        address=institution.address,
        legal_representative=institution.legal_representative,
    )
    response = sign_up(client, institution, phone="0577 8888 0000")
    assert response["Location"] == reverse("registry_portal:signup-pending")
    assert PortalSignup.objects.get().code_hash == "" and not PushDelivery.objects.filter(topic=CODE_TOPIC).exists()


def test_a_phone_the_registration_itself_carries_is_the_one_on_record(
    client, registered, notice_settings, receiver, django_capture_on_commit_callbacks
):
    institution, registration = registered
    type(registration).objects.filter(pk=registration.pk).update(
        data={**registration.data, "contact_phone": "13905770009"}
    )
    assert sign_up(client, institution).status_code == 200  # the institution's phone is not the record's now
    assert not PortalSignup.objects.exists()
    _response, _code, phone = sent_code(
        receiver, django_capture_on_commit_callbacks, client, institution, phone="13905770009"
    )
    assert phone == "13905770009"


# --- the limits of codes (review finding 1) ----------------------------------------------------------


def wrong_of(code):
    return f"{(int(code) + 7) % 1_000_000:06d}"


def test_a_loop_of_sign_ups_and_wrong_codes_stops_at_the_institutions_limit(
    client, registered, notice_settings, receiver, django_capture_on_commit_callbacks
):
    institution, _registration = registered
    _response, code, _phone = sent_code(receiver, django_capture_on_commit_callbacks, client, institution)
    for _attempt in range(5):
        client.post(reverse("registry_portal:signup-confirm"), {"code": wrong_of(code)})
    assert PortalSignup.objects.get().state == SignupState.EXPIRED
    # The next sign-ups of the institution get no code: the bureau activates, and the page says so.
    for i in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            response = sign_up(client, institution, username=f"xunhuan-{i}")
        assert response["Location"] == reverse("registry_portal:signup-pending")
        page = client.get(response["Location"])
        assert str(CODE_WITHHELD) in [str(m) for m in page.context["messages"]]
        assert str(CODE_WITHHELD) in page.content.decode()
        signup = PortalSignup.objects.get(state=SignupState.PENDING)
        assert signup.code_hash == "" and signup.code_sent_to == ""
        # The code page takes nothing; the bureau rejects this one so that the loop may go on.
        assert client.get(reverse("registry_portal:signup-confirm")).status_code == 302
        PortalSignup.objects.filter(pk=signup.pk).update(created_at=timezone.now() - datetime.timedelta(days=15))
    for row in PushDelivery.objects.filter(topic=CODE_TOPIC):
        delivery_attempt(delivery_id=row.pk)
    assert PushDelivery.objects.filter(topic=CODE_TOPIC).count() == 1 and len(receiver.received(SMS_PATH)) == 1


def test_wrong_codes_count_per_institution_not_per_sign_up(
    client, registered, notice_settings, receiver, django_capture_on_commit_callbacks
):
    institution, _registration = registered
    _response, code, _phone = sent_code(receiver, django_capture_on_commit_callbacks, client, institution)
    for _attempt in range(3):
        client.post(reverse("registry_portal:signup-confirm"), {"code": wrong_of(code)})
    PortalSignup.objects.update(code_expires_at=timezone.now() - datetime.timedelta(seconds=1))
    with django_capture_on_commit_callbacks(execute=False):
        again = sign_up(client, institution, username="lingyige")
    assert again["Location"] == reverse("registry_portal:signup-confirm")
    second = PortalSignup.objects.get(state=SignupState.PENDING)
    # 3 wrong codes already: the sign-up gets 2 more tries, not 5.
    first_try = client.post(reverse("registry_portal:signup-confirm"), {"code": "000000"})
    assert first_try.status_code == 200 and "1" in first_try.context["form"].errors["code"][0]
    last = client.post(reverse("registry_portal:signup-confirm"), {"code": "000001"})
    assert last.status_code == 302
    second.refresh_from_db()
    assert second.state == SignupState.EXPIRED and second.code_attempts == 2


def test_an_institution_gets_at_most_three_codes_a_day(
    client, registered, notice_settings, receiver, django_capture_on_commit_callbacks, settings
):
    institution, _registration = registered
    for i in range(3):
        with django_capture_on_commit_callbacks(execute=False):
            assert sign_up(client, institution, username=f"sanci-{i}")["Location"] == reverse(
                "registry_portal:signup-confirm"
            )
        PortalSignup.objects.update(code_expires_at=timezone.now() - datetime.timedelta(seconds=1))
    with django_capture_on_commit_callbacks(execute=False):
        fourth = sign_up(client, institution, username="sanci-3")
    assert fourth["Location"] == reverse("registry_portal:signup-pending")
    assert PushDelivery.objects.filter(topic=CODE_TOPIC).count() == 3
    # After the window, codes go out again.
    PortalSignup.objects.update(created_at=timezone.now() - datetime.timedelta(hours=25))
    PortalSignup.objects.filter(state=SignupState.PENDING).update(
        created_at=timezone.now() - datetime.timedelta(days=settings.PORTAL_SIGNUP_PENDING_DAYS, hours=1)
    )
    with django_capture_on_commit_callbacks(execute=False):
        later = sign_up(client, institution, username="sanci-4")
    assert later["Location"] == reverse("registry_portal:signup-confirm")


def test_an_address_gets_a_limited_number_of_codes_across_institutions(
    client, notice_settings, receiver, django_capture_on_commit_callbacks, settings
):
    settings.PORTAL_SIGNUP_CODES_PER_ADDRESS = 2
    outcomes = []
    for i in range(3):
        institution = InstitutionFactory(credit_code=make_credit_code(882_000 + i), contact_phone=f"1390577100{i}")
        RegistrationFactory(
            credit_code=institution.credit_code,
            registration_number=f"330302MA00ADDR{i:05d}",
            institution_name=institution.name,
            street_code=institution.street.code,
            address=institution.address,
            legal_representative=institution.legal_representative,
        )
        with django_capture_on_commit_callbacks(execute=False):
            response = sign_up(
                client,
                institution,
                phone=f"1390577100{i}",
                username=f"dizhi-{i}",
                registration_number=f"330302MA00ADDR{i:05d}",
            )
        assert response.status_code == 302
        outcomes.append(response["Location"])
    assert outcomes == [reverse("registry_portal:signup-confirm")] * 2 + [reverse("registry_portal:signup-pending")]
    assert PushDelivery.objects.filter(topic=CODE_TOPIC).count() == 2


# --- sign-ups without a code expire (review finding 6) ----------------------------------------------


def test_a_code_less_sign_up_older_than_the_limit_expires_when_a_new_one_arrives(client, registered, settings):
    institution, _registration = registered
    sign_up(client, institution)
    old = PortalSignup.objects.get()
    assert old.code_hash == ""
    # Younger than the limit: it still blocks.
    PortalSignup.objects.update(
        created_at=timezone.now() - datetime.timedelta(days=settings.PORTAL_SIGNUP_PENDING_DAYS - 1)
    )
    blocked = sign_up(client, institution, username="lingyige")
    assert blocked.context["form"].non_field_errors().as_data()[0].code == "pending"
    # Older: the new sign-up goes through, and the old one is recorded as expired by the platform.
    PortalSignup.objects.update(
        created_at=timezone.now() - datetime.timedelta(days=settings.PORTAL_SIGNUP_PENDING_DAYS, minutes=1)
    )
    before = timezone.now()
    assert sign_up(client, institution, username="lingyige").status_code == 302
    old.refresh_from_db()
    assert old.state == SignupState.EXPIRED and old.step == "expire" and old.decided_by is None
    assert old.decided_at >= before and str(settings.PORTAL_SIGNUP_PENDING_DAYS) in old.comment
    latest = old.history.latest()
    assert latest.state == SignupState.EXPIRED and latest.history_user is None and latest.history_date >= before
    old.account.refresh_from_db()
    assert not old.account.is_active
    assert PortalSignup.objects.get(state=SignupState.PENDING).account.username == "lingyige"


def test_the_decide_page_shows_the_phone_on_record_and_says_to_phone_it(client, registered, health_user):
    institution, _registration = registered
    sign_up(client, institution, phone="+86 139 0577 0001")
    signup = PortalSignup.objects.get()
    client.force_login(health_user)
    page = client.post(
        reverse("admin:registry_portalsignup_changelist"),
        {"action": "activate", "_selected_action": [signup.pk], "index": "0"},
    )
    html = page.content.decode()
    assert 'id="signup-decision-verify"' in html
    assert f'<span class="phone-on-record">{PHONE}</span>' in html
    assert "+86 139 0577 0001" not in html  # the number given is not the one to phone


# --- what an error report keeps (review finding 7) --------------------------------------------------


def test_the_passwords_and_the_code_are_hidden_from_error_reports(
    client, registered, notice_settings, receiver, django_capture_on_commit_callbacks
):
    from django.views.debug import SafeExceptionReporterFilter

    institution, _registration = registered
    response, code, _phone = sent_code(receiver, django_capture_on_commit_callbacks, client, institution)
    shown = SafeExceptionReporterFilter().get_post_parameters(response.wsgi_request)
    assert PASSWORD not in shown.values() and shown["username"] == "zizhu-jigou"
    confirm = client.post(reverse("registry_portal:signup-confirm"), {"code": wrong_of(code)})
    assert wrong_of(code) not in SafeExceptionReporterFilter().get_post_parameters(confirm.wsgi_request).values()


# --- usernames differing in case (review finding 9) -------------------------------------------------


def test_a_username_differing_only_in_case_is_taken(client, registered):
    institution, _registration = registered
    UserFactory(username="Zizhu-Jigou")
    response = sign_up(client, institution, username="zizhu-jigou")
    assert response.status_code == 200 and response.context["form"].errors["username"]
    assert not PortalSignup.objects.exists()
