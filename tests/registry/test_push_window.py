"""The push window as a dated policy row (plan task 20: five working days).

A registration's deadline is counted with the row in force on its day of registration,
and the registration keeps that row. A later row changes the deadlines of registrations
dated from its day on, never those already counted: recounts of the calendar count again
in the working days of the registration's own rule.
"""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from luchen_care.accounts.models import Authority, Role
from luchen_care.core.policy import PolicyNotInForce, policy_on
from luchen_care.regions.models import County
from luchen_care.workdays.models import WorkdayOverride
from registry import payloads
from registry.models import DigestRun, PushWindowPolicy, Registration
from registry.selectors.policies import push_window_on
from registry.services.policies import push_window_policy_save
from registry.services.registrations import registration_deadlines_recompute, registration_validate
from registry.services.streets import county_streets_load
from tests.accounts.factories import UserFactory
from tests.registry.factories import RegistrationFactory, street

pytestmark = pytest.mark.django_db

D = datetime.date
TASK_20 = "温鹿政办〔2020〕64号 任务20"
NATIONAL = "托育机构登记和备案办法（试行）"


def new_rule(actor, *, effective_from, working_days, legal_source="鹿城区测试文件〔2026〕3号"):
    return push_window_policy_save(
        policy=PushWindowPolicy(effective_from=effective_from, working_days=working_days, legal_source=legal_source),
        actor=actor,
    )


# --- the seeded rows and the row in force ---------------------------------------------------------


def test_the_migration_seeds_five_working_days_with_their_sources(db):
    rows = list(PushWindowPolicy.objects.order_by("effective_from").values_list("effective_from", "working_days"))
    assert rows == [(D(2019, 1, 1), 5), (D(2021, 2, 1), 5)]
    assert push_window_on(D(2021, 2, 1)).legal_source == TASK_20
    assert push_window_on(D(2026, 12, 1)).legal_source == TASK_20
    assert push_window_on(D(2021, 1, 31)).legal_source == NATIONAL
    assert push_window_on(D(2019, 1, 1)).legal_source == NATIONAL
    # History is kept from the start: each seeded row has its creation in its history.
    for row in PushWindowPolicy.objects.all():
        assert row.history.filter(history_type="+").count() == 1


def test_a_day_before_the_first_row_is_a_clear_error(db):
    with pytest.raises(PolicyNotInForce) as caught:
        policy_on(PushWindowPolicy, D(2018, 12, 31))
    assert "2018-12-31" in str(caught.value) and "2019-01-01" in str(caught.value)


def test_a_registration_dated_before_every_rule_is_a_field_error(db, health_user):
    # The bureau's rows are never deleted; were the first one moved, the date is refused on its field.
    PushWindowPolicy.objects.filter(effective_from=D(2019, 1, 1)).update(effective_from=D(2019, 6, 1))
    with pytest.raises(ValidationError) as caught:
        registration_validate(
            actor=health_user,
            authority=Authority.MARKET_REGULATION,
            registration_number="R-2019-0301",
            registered_on=D(2019, 3, 1),
            kind="new",
            credit_code="91330302MA2A000015",
            institution_name="鹿城区早期托育中心",
            street_code="330302006",
            address="温州市鹿城区五马街道解放街1号",
            legal_representative="王晓燕",
        )
    assert "2019-06-01" in " ".join(caught.value.message_dict["registered_on"])


def test_a_registration_counts_with_the_row_in_force_on_its_date_and_keeps_it(db):
    early = RegistrationFactory(registered_on=D(2020, 6, 1))  # before the district plan
    late = RegistrationFactory(registered_on=D(2026, 2, 13))

    assert early.push_rule == push_window_on(D(2020, 6, 1))
    assert early.push_rule.legal_source == NATIONAL
    assert early.push_deadline == D(2020, 6, 8)  # Monday 06-01 → 02, 03, 04, 05, 08
    assert late.push_rule.legal_source == TASK_20
    assert late.push_deadline == D(2026, 2, 27)  # the Spring Festival holiday is not counted
    # The stored version is in the database and in the registration's history.
    stored = Registration.objects.get(pk=late.pk)
    assert stored.push_rule_id == late.push_rule.pk
    assert stored.history.first().push_rule_id == late.push_rule.pk


# --- a new row --------------------------------------------------------------------------------------


def test_a_later_row_changes_new_registrations_but_not_those_counted_before(db, health_user):
    before = RegistrationFactory(registered_on=D(2026, 3, 2))
    assert before.push_deadline == D(2026, 3, 9)  # five working days

    three = new_rule(health_user, effective_from=D(2026, 3, 10), working_days=3)
    after = RegistrationFactory(registered_on=D(2026, 3, 16))
    backdated = RegistrationFactory(registered_on=D(2026, 3, 5))  # recorded now, dated before the new rule

    assert after.push_rule == three
    assert after.push_deadline == D(2026, 3, 19)  # Monday → Tue, Wed, Thu
    assert backdated.push_rule == before.push_rule
    assert backdated.push_deadline == D(2026, 3, 12)
    before.refresh_from_db()
    assert (before.push_rule.working_days, before.push_deadline) == (5, D(2026, 3, 9))
    assert three.created_by == health_user and three.history.first().history_user == health_user


def test_a_recount_keeps_each_registration_under_its_own_rule(db, health_user):
    counted_under_five = RegistrationFactory(registered_on=D(2026, 3, 2))
    new_rule(health_user, effective_from=D(2026, 3, 10), working_days=3)
    counted_under_three = RegistrationFactory(registered_on=D(2026, 3, 16))
    # A closure in both windows: each deadline moves one working day, in its own rule's count.
    WorkdayOverride.objects.create(date=D(2026, 3, 6), is_working_day=False, reason="台风停工")
    WorkdayOverride.objects.create(date=D(2026, 3, 17), is_working_day=False, reason="台风停工")

    assert registration_deadlines_recompute(days=[D(2026, 3, 6), D(2026, 3, 17)], cause="台风停工") == 2

    counted_under_five.refresh_from_db()
    counted_under_three.refresh_from_db()
    assert (counted_under_five.push_rule.working_days, counted_under_five.push_deadline) == (5, D(2026, 3, 10))
    assert (counted_under_three.push_rule.working_days, counted_under_three.push_deadline) == (3, D(2026, 3, 20))


def test_a_new_row_cannot_reach_back_over_registrations_already_counted(db, health_user):
    RegistrationFactory(registered_on=D(2026, 3, 2))
    with pytest.raises(ValidationError) as caught:
        new_rule(health_user, effective_from=D(2026, 3, 1), working_days=3)
    message = " ".join(caught.value.message_dict["effective_from"])
    assert "2026-03-02" in message and "2026-03-03" in message
    assert not PushWindowPolicy.objects.filter(effective_from=D(2026, 3, 1)).exists()
    # From the next day on, it may.
    assert new_rule(health_user, effective_from=D(2026, 3, 3), working_days=3).pk


def test_a_rule_that_counted_deadlines_keeps_its_day_and_figure_but_its_source_may_be_corrected(db, superuser):
    registration = RegistrationFactory(registered_on=D(2026, 3, 2))
    rule = PushWindowPolicy.objects.get(pk=registration.push_rule_id)
    rule.working_days = 10
    with pytest.raises(ValidationError) as caught:
        push_window_policy_save(policy=rule, actor=superuser)
    assert "working_days" in caught.value.message_dict
    assert PushWindowPolicy.objects.get(pk=rule.pk).working_days == 5

    rule.refresh_from_db()
    rule.legal_source = "温鹿政办〔2020〕64号 附件 任务20"
    push_window_policy_save(policy=rule, actor=superuser)
    assert PushWindowPolicy.objects.get(pk=rule.pk).legal_source.endswith("附件 任务20")


def test_the_window_must_be_a_positive_number_of_working_days(db, health_user):
    with pytest.raises(ValidationError) as caught:
        new_rule(health_user, effective_from=D(2030, 1, 1), working_days=0)
    assert "working_days" in caught.value.message_dict


def test_only_the_health_bureau_enters_push_windows(db, market_user):
    with pytest.raises(PermissionDenied):
        new_rule(market_user, effective_from=D(2030, 1, 1), working_days=3)
    assert not PushWindowPolicy.objects.filter(effective_from=D(2030, 1, 1)).exists()


# --- the pages and the digest take the number from the row --------------------------------------------


def test_the_sla_page_states_the_rule_in_force(client, health_user):
    client.force_login(health_user)
    client.cookies["django_language"] = "en"  # the switcher's choice
    page = client.get(reverse("admin:registry_registration_sla")).content.decode()
    assert "5 working days after the day of registration, from 2021-02-01" in page
    assert TASK_20 in page

    new_rule(health_user, effective_from=datetime.date.today(), working_days=7, legal_source="鹿城区新规〔2026〕9号")
    page = client.get(reverse("admin:registry_registration_sla")).content.decode()
    assert "7 working days after the day of registration" in page and "鹿城区新规〔2026〕9号" in page


def test_a_registrations_page_names_the_rule_that_counted_its_deadline(client, health_user):
    registration = RegistrationFactory(registered_on=D(2026, 2, 13))
    client.force_login(health_user)
    client.cookies["django_language"] = "en"  # the switcher's choice
    page = client.get(reverse("admin:registry_registration_change", args=[registration.pk])).content.decode()
    assert "5 working days from 2021-02-01" in page


def test_the_digest_says_the_number_of_working_days_of_the_rules_it_lists(db, health_user):
    five = RegistrationFactory(registered_on=D(2026, 3, 2))
    new_rule(health_user, effective_from=D(2026, 3, 10), working_days=3)
    three = RegistrationFactory(registered_on=D(2026, 3, 16))
    run = DigestRun.objects.create(date=D(2026, 4, 1), registration_ids=[five.pk, three.pk])

    _title, text = payloads.digest_markdown(run, [five])
    assert "超过5个工作日推送期限" in text
    _title, text = payloads.digest_markdown(run, [five, three])
    assert "超过3或5个工作日推送期限" in text


# --- the admin ------------------------------------------------------------------------------------------


def admin_add(client, **values):
    body = {
        "effective_from": "2030-01-01",
        "working_days": "3",
        "legal_source": "鹿城区测试文件〔2029〕1号",
        "note": "",
    }
    body.update(values)
    client.cookies["django_language"] = "en"  # the switcher's choice
    return client.post(reverse("admin:registry_pushwindowpolicy_add"), body)


def test_the_bureau_adds_a_rule_in_the_admin_through_the_service(client, health_user):
    client.force_login(health_user)
    response = admin_add(client)
    assert response.status_code == 302
    rule = PushWindowPolicy.objects.get(effective_from=D(2030, 1, 1))
    assert (rule.working_days, rule.created_by, rule.history.first().history_user) == (3, health_user, health_user)


def test_the_admin_answers_a_rule_reaching_back_on_its_field(client, health_user):
    RegistrationFactory(registered_on=D(2026, 3, 2))
    client.force_login(health_user)
    response = admin_add(client, effective_from="2026-03-01")
    assert response.status_code == 200
    assert "can take effect from 2026-03-03 at the earliest" in response.content.decode()
    assert not PushWindowPolicy.objects.filter(effective_from=D(2026, 3, 1)).exists()


def test_a_used_rule_shows_its_day_and_figure_read_only(client, superuser):
    registration = RegistrationFactory(registered_on=D(2026, 3, 2))
    client.force_login(superuser)
    url = reverse("admin:registry_pushwindowpolicy_change", args=[registration.push_rule_id])
    page = client.get(url).content.decode()
    assert 'name="legal_source"' in page
    assert 'name="working_days"' not in page and 'name="effective_from"' not in page
    # A forged post of the figure changes nothing: the field is not on the form.
    client.post(url, {"working_days": "9", "legal_source": TASK_20, "note": ""})
    assert PushWindowPolicy.objects.get(pk=registration.push_rule_id).working_days == 5


@pytest.mark.parametrize("role", [Role.REGISTRATION_AUTHORITY, Role.STREET_OFFICE, Role.EDUCATION_BUREAU])
def test_other_staff_read_the_rules_but_cannot_change_them(client, role):
    user = UserFactory(
        role=role,
        authority=Authority.MARKET_REGULATION if role == Role.REGISTRATION_AUTHORITY else "",
        street=street() if role == Role.STREET_OFFICE else None,
    )
    rule = push_window_on(D(2026, 3, 2))
    client.force_login(user)
    assert client.get(reverse("admin:registry_pushwindowpolicy_changelist")).status_code == 200
    change = client.get(reverse("admin:registry_pushwindowpolicy_change", args=[rule.pk]))
    assert change.status_code == 200 and 'name="legal_source"' not in change.content.decode()
    assert admin_add(client).status_code == 403
    forged = client.post(
        reverse("admin:registry_pushwindowpolicy_change", args=[rule.pk]),
        {"legal_source": "篡改", "effective_from": "2021-02-01", "working_days": "5"},
    )
    assert forged.status_code == 403
    assert PushWindowPolicy.objects.get(pk=rule.pk).legal_source == TASK_20
    assert not PushWindowPolicy.objects.filter(effective_from=D(2030, 1, 1)).exists()


def test_rules_are_never_deleted_nor_reverted(client, health_user):
    rule = push_window_on(D(2026, 3, 2))
    client.force_login(health_user)
    assert (
        client.post(reverse("admin:registry_pushwindowpolicy_delete", args=[rule.pk]), {"post": "yes"}).status_code
        == 403
    )
    version = rule.history.first()
    url = reverse("admin:registry_pushwindowpolicy_simple_history", args=[rule.pk, version.history_id])
    assert client.get(url).status_code == 200
    assert (
        client.post(url, {"legal_source": "回滚", "effective_from": "2021-02-01", "working_days": "5"}).status_code
        == 403
    )
    assert PushWindowPolicy.objects.filter(pk=rule.pk, legal_source=TASK_20).exists()


def test_institutions_and_api_clients_do_not_reach_the_rules(client):
    rule = push_window_on(D(2026, 3, 2))
    for role in (Role.INSTITUTION, Role.API_CLIENT):
        client.force_login(UserFactory(role=role, is_staff=False))
        response = client.get(reverse("admin:registry_pushwindowpolicy_change", args=[rule.pk]))
        assert response.status_code == 302 and "/login/" in response["Location"]


# --- per-county rows --------------------------------------------------------------------------------


@pytest.fixture
def superuser(db):
    return UserFactory(role="", is_superuser=True)


@pytest.fixture
def longwan(db):
    county_streets_load(code="330303")
    return County.objects.get(code="330303")


def test_a_countys_own_row_wins_over_the_default_from_its_date(health_user, longwan):
    lucheng = health_user.county
    own = push_window_policy_save(
        policy=PushWindowPolicy(effective_from=D(2026, 6, 1), working_days=3, legal_source="鹿城区试行文件"),
        actor=health_user,
    )
    assert own.county == lucheng  # a county bureau's row is its county's
    default = push_window_on(D(2026, 5, 29))
    assert default.county is None and default.working_days == 5
    assert push_window_on(D(2026, 5, 29), lucheng.pk) == default  # before its date: the default
    assert push_window_on(D(2026, 6, 1), lucheng.pk) == own
    assert push_window_on(D(2026, 6, 1), longwan.pk) == default  # 龙湾 has no row of its own

    lucheng_registration = RegistrationFactory(registered_on=D(2026, 6, 2))
    longwan_registration = RegistrationFactory(
        registered_on=D(2026, 6, 2),
        street_code="330303006",
        actor=UserFactory(role=Role.HEALTH_BUREAU, county=longwan),
    )
    assert lucheng_registration.push_rule == own
    assert longwan_registration.push_rule == default
    assert lucheng_registration.push_deadline == D(2026, 6, 5)  # three working days
    assert longwan_registration.push_deadline == D(2026, 6, 9)  # five


def test_a_county_bureau_cannot_change_the_default_nor_another_countys_row(health_user, longwan):
    longwan_bureau = UserFactory(role=Role.HEALTH_BUREAU, county=longwan)
    theirs = push_window_policy_save(
        policy=PushWindowPolicy(effective_from=D(2026, 6, 1), working_days=4, legal_source="龙湾区文件"),
        actor=longwan_bureau,
    )
    default = push_window_on(D(2026, 3, 2))
    for rule in (theirs, default):
        rule.legal_source = "篡改"
        with pytest.raises(PermissionDenied):
            push_window_policy_save(policy=rule, actor=health_user)
    assert PushWindowPolicy.objects.get(pk=theirs.pk).legal_source == "龙湾区文件"
    assert PushWindowPolicy.objects.get(pk=default.pk).legal_source == TASK_20
    assert not PushWindowPolicy.objects.visible_to(health_user).filter(pk=theirs.pk).exists()
    assert PushWindowPolicy.objects.visible_to(health_user).filter(pk=default.pk).exists()


def test_a_county_row_cannot_reach_back_over_that_countys_counted_registrations(health_user, longwan):
    longwan_bureau = UserFactory(role=Role.HEALTH_BUREAU, county=longwan)
    # 龙湾 has a registration dated then, counted under the default; Lucheng has none.
    RegistrationFactory(registered_on=D(2026, 6, 2), street_code="330303006", actor=longwan_bureau)
    push_window_policy_save(
        policy=PushWindowPolicy(effective_from=D(2026, 6, 1), working_days=3, legal_source="鹿城区试行文件"),
        actor=health_user,
    )
    with pytest.raises(ValidationError) as refused:
        push_window_policy_save(
            policy=PushWindowPolicy(effective_from=D(2026, 6, 1), working_days=4, legal_source="龙湾区文件"),
            actor=longwan_bureau,
        )
    assert "effective_from" in refused.value.message_dict
    assert not PushWindowPolicy.objects.filter(county=longwan).exists()
