"""The one scope rule: what ``scope_for`` resolves each role to, and, separately, which rows each
scoped model's ``visible_to`` returns, compared with the net's hand-written tables
(``tests/security/test_role_url_matrix.py``), never with the resolver's own output."""

import datetime

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.management import call_command
from django.db import models
from django.test.utils import isolate_apps

from luchen_care.accounts.models import Authority, Role
from luchen_care.core.checks import scope_declaration_errors
from luchen_care.core.scope import EVERYTHING, NOTHING, Reach, Scope, ScopedQuerySet, ScopePath, scope_for
from luchen_care.exchange.models import Channel, PushDelivery
from luchen_care.exchange.services import Notice, outbox_enqueue
from luchen_care.regions.models import County
from luchen_care.regions.services import county_add
from luchen_care.workdays.models import WorkdayOverride
from registry.models import (
    DigestRun,
    InboxEntry,
    Institution,
    InstitutionClass,
    InstitutionKind,
    InstitutionTransition,
    Registration,
    RegistrationSource,
    Street,
)
from registry.services.registrations import registration_record
from tests.factories import InstitutionFactory, UserFactory, street
from tests.security import test_role_url_matrix as net

pytestmark = pytest.mark.django_db

WUMA, QIDU = "330302006", "330302023"


# --- the resolver --------------------------------------------------------------------------------


@pytest.fixture
def head_office(db):
    return InstitutionFactory(kind=InstitutionKind.COMMUNITY, registration_authority=Authority.CIVIL_AFFAIRS)


def lucheng():
    return frozenset({County.objects.get(code="330302").pk})


def test_the_bureaus_resolve_to_everything_and_to_nursery_classes_of_their_county():
    assert scope_for(UserFactory(role=Role.HEALTH_BUREAU)) == Scope(Reach.EVERYTHING, counties=lucheng())
    assert scope_for(UserFactory(role="", is_superuser=True)) == Scope(Reach.EVERYTHING)
    assert scope_for(UserFactory(role=Role.EDUCATION_BUREAU)) == Scope(
        Reach.KINDS, kinds=frozenset({"nursery_class"}), counties=lucheng()
    )


def test_a_county_role_without_its_county_resolves_to_nothing():
    for role in (Role.HEALTH_BUREAU, Role.EDUCATION_BUREAU):
        assert scope_for(UserFactory(role=role, county=None)) == NOTHING


def test_a_city_commission_resolves_to_every_county_of_its_city():
    longwan, _created = county_add(code="330303")
    user = UserFactory(role=Role.CITY_HEALTH_COMMISSION, city_code="3303")
    assert scope_for(user) == Scope(Reach.EVERYTHING, counties=lucheng() | {longwan.pk})
    assert scope_for(UserFactory(role=Role.CITY_HEALTH_COMMISSION, city_code="3301")) == NOTHING  # 杭州: none here


def test_an_authority_resolves_to_itself_in_its_county():
    user = UserFactory(role=Role.REGISTRATION_AUTHORITY, authority=Authority.CIVIL_AFFAIRS)
    assert scope_for(user) == Scope(Reach.AUTHORITY, authority="civil_affairs", counties=lucheng())


def test_a_street_office_resolves_to_its_street():
    user = UserFactory(role=Role.STREET_OFFICE, street=street(WUMA))
    assert scope_for(user) == Scope(
        Reach.STREETS, streets=frozenset({Street.objects.get(code=WUMA).pk}), counties=lucheng()
    )


def test_an_institution_resolves_to_itself(head_office):
    user = UserFactory(role=Role.INSTITUTION, institution=head_office, is_staff=False)
    assert scope_for(user) == Scope(Reach.INSTITUTIONS, institutions=frozenset({head_office.pk}))


def test_an_api_client_resolves_to_its_grant():
    narrowed = UserFactory(role=Role.API_CLIENT, is_staff=False, scope_kinds=["standalone", "employer"])
    narrowed.scope_streets.set([street(QIDU)])
    narrowed.scope_counties.set(County.objects.filter(code="330302"))
    qidu = Street.objects.get(code=QIDU).pk
    assert scope_for(narrowed) == Scope(
        Reach.GRANT, streets=frozenset({qidu}), kinds=frozenset({"standalone", "employer"}), counties=lucheng()
    )
    whole = UserFactory(role=Role.API_CLIENT, is_staff=False)
    assert scope_for(whole) == Scope(Reach.GRANT)


def test_nobody_else_reaches_anything(head_office):
    assert scope_for(None) == Scope(Reach.NOTHING)
    assert scope_for(AnonymousUser()) == Scope(Reach.NOTHING)
    assert scope_for(UserFactory(role=Role.HEALTH_BUREAU, is_active=False)) == Scope(Reach.NOTHING)
    assert scope_for(UserFactory(role="", is_superuser=True, is_active=False)) == Scope(Reach.NOTHING)
    assert scope_for(UserFactory(role="")) == Scope(Reach.NOTHING)
    # A role without what it needs (a user saved past its validation) reaches nothing, not everything.
    assert scope_for(UserFactory(role=Role.REGISTRATION_AUTHORITY, authority="")) == Scope(Reach.NOTHING)
    assert scope_for(UserFactory(role=Role.STREET_OFFICE)) == Scope(Reach.NOTHING)
    assert scope_for(UserFactory(role=Role.INSTITUTION, is_staff=False)) == Scope(Reach.NOTHING)


def test_only_everything_is_district_wide_besides_the_education_bureau():
    assert EVERYTHING.district_wide and Scope(Reach.KINDS, kinds=frozenset({"nursery_class"})).district_wide
    for scope in (
        NOTHING,
        Scope(Reach.AUTHORITY, authority="civil_affairs"),
        Scope(Reach.STREETS, streets=frozenset({1})),
        Scope(Reach.INSTITUTIONS, institutions=frozenset({1})),
        Scope(Reach.GRANT),
    ):
        assert not scope.district_wide, scope


# --- the querysets, against the net's hand-written tables --------------------------------------------


@pytest.fixture
def world(db):
    world = net.build_world()
    # 鹿城's overdue digest's own deliveries: a county-level subject.
    world.digest_deliveries = outbox_enqueue(
        topic="registry.overdue_digest",
        subject=world.record("digestrun", "today"),
        label="逾期日报",
        notice=Notice(document={"digest": True}, title="逾期推送日报", text="日报"),
        channels=[Channel.INBOX, Channel.DINGTALK],
    )
    return world


def keys_of(world, rows, resource="institution"):
    """The world's keys of ``rows`` (an institution key names a registration, a class, a delivery)."""
    by_pk = {record.pk: key for key, record in world.records[resource].items()}
    return {by_pk[row.pk] for row in rows}


def registration_keys(world, deliveries):
    by_pk = {record.pk: key for key, record in world.records["registration"].items()}
    return {by_pk[d.subject_id] for d in deliveries if d.subject_type.model == "registration"}


def user_of(world, role):
    return AnonymousUser() if role == "anonymous" else world.users[role]


@pytest.mark.parametrize("role", net.ROLES)
def test_institutions_are_what_the_table_says(world, role):
    visible = Institution.objects.visible_to(user_of(world, role))
    assert keys_of(world, visible) == set(net.SEES_INSTITUTIONS[role])


@pytest.mark.parametrize("role", net.ROLES)
def test_registrations_and_inbox_entries_are_what_the_table_says(world, role):
    user = user_of(world, role)
    assert keys_of(world, Registration.objects.visible_to(user), "registration") == set(net.SEES_REGISTRATIONS[role])
    assert keys_of(world, InboxEntry.objects.visible_to(user), "registration") == set(net.SEES_REGISTRATIONS[role])


@pytest.mark.parametrize("role", net.ROLES)
def test_classes_and_lifecycle_steps_follow_their_institution(world, role):
    user = user_of(world, role)
    by_pk = {record.pk: key for key, record in world.records["institution"].items()}
    for institution in world.records["institution"].values():
        InstitutionClass.objects.get_or_create(
            institution=institution, class_type="toddler", defaults={"class_count": 1, "capacity": 15}
        )
    classes = {by_pk[c.institution_id] for c in InstitutionClass.objects.visible_to(user)}
    assert classes == set(net.SEES_INSTITUTIONS[role])
    # The world's institutions were each taken to operating through their lifecycle steps.
    assert {by_pk[s.institution_id] for s in InstitutionTransition.objects.all()} == set(net.INSTITUTIONS)
    steps = {by_pk[s.institution_id] for s in InstitutionTransition.objects.visible_to(user)}
    assert steps == set(net.SEES_INSTITUTIONS[role])


@pytest.mark.parametrize("role", net.ROLES)
def test_push_deliveries_are_visible_as_their_registration_is(world, role):
    visible = list(PushDelivery.objects.visible_to(user_of(world, role)).select_related("subject_type"))
    # Every channel of each registration the role sees, and nothing of any other.
    expected = {
        d.pk
        for key in net.SEES_REGISTRATIONS[role]
        for d in PushDelivery.objects.filter(
            subject_type__model="registration", subject_id=world.record("registration", key).pk
        )
    }
    assert {d.pk for d in visible if d.subject_type.model == "registration"} == expected
    assert registration_keys(world, visible) == set(net.SEES_REGISTRATIONS[role])


@pytest.mark.parametrize("role", net.ROLES)
def test_a_countys_digest_and_its_deliveries_are_for_that_countys_bureau_and_city(world, role):
    # A county's digest lists that county's overdue registrations: its health bureau, its city's
    # commission and the superuser read it (and its deliveries), no other role and no other county.
    user = user_of(world, role)
    seen = {
        key
        for key, run in world.records["digestrun"].items()
        if DigestRun.objects.visible_to(user).filter(pk=run.pk).exists()
    }
    assert seen == net.sees(role, "digestrun")
    reads_lucheng = "today" in seen
    digest_rows = {d.pk for d in world.digest_deliveries}
    visible = set(PushDelivery.objects.visible_to(user).values_list("pk", flat=True))
    assert (digest_rows <= visible) is reads_lucheng
    assert bool(digest_rows & visible) is reads_lucheng


def test_a_delivery_about_a_record_that_declares_no_scope_is_the_superusers_alone(world):
    override = WorkdayOverride.objects.create(date=datetime.date(2026, 10, 9), is_working_day=False, reason="台风")
    [row] = outbox_enqueue(
        topic="tests.calendar_notice",
        subject=override,
        label="停工通知",
        notice=Notice(document={}, title="通知", text="通知"),
        channels=[Channel.INBOX],
    )
    assert PushDelivery.objects.visible_to(world.users["superuser"]).filter(pk=row.pk).exists()
    for role in ("health", "longwan", "city", "education", "wuma", "market", "institution", "api"):
        assert not PushDelivery.objects.visible_to(world.users[role]).filter(pk=row.pk).exists(), role


def test_streets_are_each_countys_reference_data(world):
    def codes(role):
        return set(Street.objects.visible_to(world.users[role]).values_list("code", flat=True))

    assert WUMA in codes("health") and net.ZHUANGYUAN not in codes("health")
    assert codes("longwan") == set(Street.objects.filter(county__code="330303").values_list("code", flat=True))
    assert len(codes("longwan")) == 10
    assert codes("city") == codes("health") | codes("longwan")
    assert net.ZHUANGYUAN not in codes("wuma")


def test_an_authority_keeps_its_registration_of_an_institution_registered_elsewhere_since(world):
    """Registrations follow their own authority; institutions their current one."""
    institution = world.record("institution", "wuma_standalone")  # registered with 市场监管局
    # Moved to 民政局: recorded by the health bureau, which corrects a mismatch with its reason.
    moved, _created = registration_record(
        actor=world.users["health"],
        correction_reason="经核实已转由民政局登记",
        source=RegistrationSource.API,
        authority=Authority.CIVIL_AFFAIRS,
        registration_number="矩阵登记-迁入",
        registered_on=datetime.date.today(),
        kind="change",
        credit_code=institution.credit_code,
        institution_name=institution.name,
        street_code=WUMA,
        address=institution.address,
        legal_representative=institution.legal_representative,
    )
    institution.refresh_from_db()
    assert institution.registration_authority == Authority.CIVIL_AFFAIRS
    market, civil = world.users["market"], world.users["civil"]
    first = world.record("registration", "wuma_standalone")
    assert Registration.objects.visible_to(market).filter(pk=first.pk).exists()
    assert not Registration.objects.visible_to(market).filter(pk=moved.pk).exists()
    assert not Institution.objects.visible_to(market).filter(pk=institution.pk).exists()
    assert Registration.objects.visible_to(civil).filter(pk=moved.pk).exists()
    assert not Registration.objects.visible_to(civil).filter(pk=first.pk).exists()
    assert Institution.objects.visible_to(civil).filter(pk=institution.pk).exists()
    # The street office still sees both registrations, through the institution's street.
    wuma_sees = set(Registration.objects.visible_to(world.users["wuma"]).values_list("pk", flat=True))
    assert {first.pk, moved.pk} <= wuma_sees


def test_visible_to_reads_the_users_fields_now_not_when_first_asked(world):
    user = world.users["wuma"]
    assert keys_of(world, Institution.objects.visible_to(user)) == set(net.SEES_INSTITUTIONS["wuma"])
    user.is_active = False
    assert not Institution.objects.visible_to(user).exists()


# --- every scoped model declares its path ----------------------------------------------------------


def test_the_project_passes_the_scope_check():
    call_command("check")  # raises SystemCheckError on core.E003 … E007
    from django.apps import apps

    assert scope_declaration_errors(apps.get_models()) == []
    declared = {m._meta.label for m in apps.get_models() if isinstance(getattr(m, "scope", None), ScopePath)}
    assert {
        "registry.Institution",
        "registry.Registration",
        "registry.InboxEntry",
        "registry.DigestRun",
        "exchange.PushDelivery",
    } <= declared


@isolate_apps("luchen_care.core")
def test_the_check_refuses_a_hand_written_visible_to_a_missing_path_and_a_wrong_field():
    class Area(models.Model):  # noqa: DJ008
        name = models.CharField(max_length=10)

        class Meta:
            app_label = "core"

    class SwitchQuerySet(ScopedQuerySet):
        def visible_to(self, user):  # a role switch written out again
            return self.all() if user.is_superuser else self.none()

    class Switched(models.Model):  # noqa: DJ008
        area = models.ForeignKey(Area, on_delete=models.CASCADE)
        scope = ScopePath(street="area")
        objects = SwitchQuerySet.as_manager()

        class Meta:
            app_label = "core"

    class Undeclared(models.Model):  # noqa: DJ008
        objects = ScopedQuerySet.as_manager()

        class Meta:
            app_label = "core"

    class Misnamed(models.Model):  # noqa: DJ008
        area = models.ForeignKey(Area, on_delete=models.CASCADE)
        scope = ScopePath(street="area", kind="area__kind")
        objects = ScopedQuerySet.as_manager()

        class Meta:
            app_label = "core"

    class Declared(models.Model):  # noqa: DJ008
        area = models.ForeignKey(Area, on_delete=models.CASCADE)
        scope = ScopePath(street="area")
        objects = ScopedQuerySet.as_manager()

        class Meta:
            app_label = "core"

    errors = {(e.id, e.obj) for e in scope_declaration_errors([Area, Switched, Undeclared, Misnamed, Declared])}
    assert errors == {("core.E003", Switched), ("core.E004", Undeclared), ("core.E006", Misnamed)}


def test_a_scope_that_narrows_by_what_a_model_does_not_reach_gives_none_of_it(world):
    """A street-level declaration: a street office reaches its street; a kind, an authority or an
    institution reach none of it (the rule fails closed)."""
    path = ScopePath(street="street")
    path.model = Institution
    wuma = Street.objects.get(code=WUMA).pk
    assert path.condition(Scope(Reach.STREETS, streets=frozenset({wuma}))) is not None
    assert path.condition(Scope(Reach.KINDS, kinds=frozenset({"nursery_class"}))) is None
    assert path.condition(Scope(Reach.AUTHORITY, authority="civil_affairs")) is None
    assert path.condition(Scope(Reach.INSTITUTIONS, institutions=frozenset({1}))) is None
    assert path.condition(Scope(Reach.GRANT, kinds=frozenset({"standalone"}))) is None
    street_only = Institution.objects.filter(path.condition(Scope(Reach.GRANT, streets=frozenset({wuma}))))
    assert keys_of(world, street_only) == {"wuma_standalone", "wuma_family", "wuma_nursery", "wuma_branch"}
