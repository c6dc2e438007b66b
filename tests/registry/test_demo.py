"""`manage.py demo`: realistic data for every street, kind and role, and a second run changes nothing."""

import datetime
from collections import Counter
from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from luchen_care.accounts.models import ApiToken, Authority, Role, User, api_token_hash
from luchen_care.documents.models import IssuedDocument
from luchen_care.documents.selectors import document_file, document_latest
from luchen_care.exchange.models import PushDelivery
from luchen_care.files.models import StoredFile
from luchen_care.workdays.calendar import is_working_day, working_day_deadline
from registry.demo import DEMO_PASSWORD, DEMO_TOKEN_NAME, demo_api_key
from registry.models import (
    Filing,
    FilingDeadlinePolicy,
    FilingSection,
    FilingStatus,
    FilingTransition,
    GuidedFeePolicy,
    Institution,
    InstitutionClass,
    InstitutionKind,
    InstitutionStatus,
    Registration,
    SectionStatus,
    Street,
    StreetPopulation,
)
from registry.models.filings import AWAITING_BUREAU
from registry.models.registrations import PUSH_TIMEZONE
from registry.services.filing_documents import BASIC_CONDITIONS, FILING_RECEIPT
from registry.services.push import registration_deliveries
from registry.validators import validate_credit_code

pytestmark = pytest.mark.django_db

WUMA = "330302006"
USER_FIELDS = ("username", "password", "role", "authority", "street", "institution", "is_staff", "is_superuser")


@pytest.fixture(autouse=True)
def _on_a_laptop(settings, tmp_path):
    """The demo is for a development configuration (DEBUG on); the test runner turns DEBUG off.
    The demo filings' materials go to a media folder of the test's own."""
    settings.DEBUG = True
    settings.MEDIA_ROOT = tmp_path / "media"


def run_demo():
    out = StringIO()
    call_command("demo", stdout=out)
    return out.getvalue()


def snapshot():
    """Everything the demo touches, as counts and as stored values."""
    models = [
        Street,
        StreetPopulation,
        StreetPopulation.history.model,
        Institution,
        Institution.history.model,
        InstitutionClass,
        InstitutionClass.history.model,
        User,
        ApiToken,
        Registration,
        Registration.history.model,
        PushDelivery,
        Filing,
        Filing.history.model,
        FilingSection,
        FilingTransition,
        GuidedFeePolicy,
        FilingDeadlinePolicy,
        StoredFile,
        IssuedDocument,
    ]
    return {
        "counts": {m.__name__: m.objects.count() for m in models},
        "institutions": list(Institution.objects.order_by("credit_code").values()),
        "classes": list(InstitutionClass.objects.order_by("pk").values()),
        "users": list(User.objects.order_by("username").values(*USER_FIELDS)),
        "tokens": sorted(ApiToken.objects.values_list("key_hash", flat=True)),
        "filings": list(Filing.objects.order_by("pk").values()),
        "sections": list(FilingSection.objects.order_by("pk").values()),
    }


@pytest.fixture
def demo(db):
    return run_demo()


def test_all_fourteen_streets_with_a_population(demo):
    lucheng = Street.objects.filter(county__code="330302")
    assert lucheng.count() == 14
    assert Counter(lucheng.values_list("kind", flat=True)) == {"street": 12, "town": 2}
    assert Street.objects.get(code=WUMA).name == "五马街道"
    for s in lucheng:
        assert s.current_population().population > 0


def test_about_sixty_institutions_of_every_kind_across_the_streets(demo):
    institutions = list(Institution.objects.filter(street__county__code="330302").select_related("street"))

    assert 55 <= len(institutions) <= 65
    kinds = Counter(i.kind for i in institutions)
    assert set(kinds) == set(InstitutionKind.values)
    assert all(count >= 5 for count in kinds.values())
    streets = Counter(i.street.code for i in institutions)
    assert len(streets) == 14  # every street and town has some
    assert streets[WUMA] >= 5
    for kind in InstitutionKind.values:
        assert len({i.street_id for i in institutions if i.kind == kind}) >= 4  # each kind spread out


def test_a_second_county_of_the_same_city_with_its_own_bureau_and_the_citys_commission(demo):
    longwan = Institution.objects.filter(street__county__code="330303")
    assert Street.objects.filter(county__code="330303").count() == 10
    assert 3 <= longwan.count() <= 8
    assert all("鹿城" not in name for name in longwan.values_list("name", flat=True))
    bureau, city = User.objects.get(username="longwan"), User.objects.get(username="wenzhou")
    assert set(Institution.objects.visible_to(bureau)) == set(longwan)
    health = User.objects.get(username="health")
    assert not Institution.objects.visible_to(health).filter(street__county__code="330303").exists()
    assert Institution.objects.visible_to(city).count() == Institution.objects.count()
    assert set(longwan.values_list("registration_authority", flat=True)) >= {"market_regulation"}


def test_demo_institutions_are_valid_records(demo):
    institutions = list(Institution.objects.all())
    codes = [i.credit_code for i in institutions]
    assert len(set(codes)) == len(codes)
    for inst in institutions:
        validate_credit_code(inst.credit_code)
        inst.full_clean()
        assert inst.classes.exists()
        assert inst.approved_places == inst.total_capacity
    assert any(code.startswith("Y") for code in codes)  # a code starting with a letter
    assert {c[0] for c in codes} >= {"1", "5", "9"}
    assert Institution.objects.filter(inclusive=True).exists() and Institution.objects.filter(inclusive=False).exists()
    assert Institution.objects.exclude(head_office=None).exists()  # a chain with branches


def test_one_demo_user_per_role_who_can_log_in(demo):
    for role in Role.values:
        assert User.objects.filter(role=role).exists(), role
    assert User.objects.filter(is_superuser=True).exists()
    assert set(User.objects.filter(role=Role.REGISTRATION_AUTHORITY).values_list("authority", flat=True)) == set(
        Authority.values
    )
    for user in User.objects.all():
        user.full_clean()
        sign_in = RequestFactory().post("/admin/login/")  # the login limits count per request
        assert authenticate(sign_in, username=user.username, password=DEMO_PASSWORD) == user

    assert list(User.objects.filter(county_administrator=True).values_list("username", flat=True)) == ["health"]
    wuma = User.objects.get(role=Role.STREET_OFFICE)
    assert wuma.street.code == WUMA and wuma.is_staff
    institution_user = User.objects.get(username="institution")  # the chain's head office
    assert institution_user.institution.branches.exists() and institution_user.institution_administrator
    assert ApiToken.objects.get(user__role=Role.API_CLIENT).name == DEMO_TOKEN_NAME


def test_the_demo_prints_the_logins(demo):
    assert DEMO_PASSWORD in demo
    assert "/portal/login/" in demo  # where the institution signs in
    for username in User.objects.values_list("username", flat=True):
        assert username in demo
    key = demo_api_key()
    assert key in demo and ApiToken.objects.get(user__role=Role.API_CLIENT).key_hash == api_token_hash(key)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/v1/institutions/").status_code == 200  # the printed key works


def test_the_wuma_demo_login_sees_exactly_wuma_through_the_api(demo):
    client = APIClient()
    token = client.post("/api/v1/auth/token/", {"username": "wuma", "password": DEMO_PASSWORD}, format="json")
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.json()['token']}")

    rows = client.get("/api/v1/institutions/", {"page_size": 100}).json()["results"]

    assert {r["id"] for r in rows} == set(Institution.objects.filter(street__code=WUMA).values_list("pk", flat=True))


def test_running_it_twice_changes_nothing(demo):
    before = snapshot()

    second = run_demo()

    assert snapshot() == before
    assert "registry: 0 institutions, 0 users, 0 populations, 0 registrations, 0 filings created" in second


def test_each_authority_has_recent_registrations_with_their_deadline_and_push(demo):
    registrations = list(Registration.objects.select_related("institution"))

    assert Counter(r.authority for r in registrations) == {authority: 2 for authority in Authority.values}
    for registration in registrations:
        assert registration.institution.registration_authority == registration.authority
        assert registration.data["credit_code"] == registration.institution.credit_code
        assert registration.push_deadline == working_day_deadline(registration.registered_on, 5).date
        assert registration_deliveries(registration).exists()  # written to the outbox with the registration
        assert registration.history.first().history_user.username in {"market", "civil", "establishment"}


def test_it_works_without_migrating_too(demo):
    before = snapshot()
    call_command("demo", "--no-migrate", stdout=StringIO())
    assert snapshot() == before


def test_it_refuses_a_production_configuration(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError) as refused:
        call_command("demo", stdout=StringIO())

    assert "--allow-production" in str(refused.value)
    assert "admin" in str(refused.value)
    assert not User.objects.exists()  # no published password on a production database
    assert not Institution.objects.exists()


def test_a_production_configuration_runs_it_only_when_told_to(settings):
    settings.DEBUG = False

    out = StringIO()
    call_command("demo", "--allow-production", stdout=out)

    assert User.objects.filter(username="admin", is_superuser=True).exists()
    assert Institution.objects.exists()
    assert "demo data ready" in out.getvalue()


# --- filings ---


def anchor_day():
    """Today, or the next working day when today is not one: the day a "due today" demo filing is due."""
    day = timezone.localdate()
    while not is_working_day(day):
        day += datetime.timedelta(days=1)
    return day


def test_filings_in_every_status_one_due_today_and_one_overdue_by_the_working_day_calendar(demo):
    filings = list(Filing.objects.select_related("deadline_rule", "institution"))

    assert {f.status for f in filings} == set(FilingStatus.values)
    today = timezone.localdate()
    waiting = [f for f in filings if f.status in AWAITING_BUREAU]
    assert [f.status for f in waiting if f.receipt_deadline == anchor_day()] == [FilingStatus.UNDER_REVIEW]
    overdue = [f for f in waiting if f.receipt_deadline < today]
    assert overdue and all(f.status == FilingStatus.SUBMITTED for f in overdue)
    for filing in [f for f in filings if f.clock_started_on]:
        # Moved back to the day of submission, and counted from it as the services count.
        assert filing.submitted_at.astimezone(PUSH_TIMEZONE).date() == filing.clock_started_on <= today
        rule = filing.deadline_rule
        assert filing.receipt_deadline == working_day_deadline(filing.clock_started_on, rule.receipt_working_days).date
        assert filing.notice_deadline == working_day_deadline(filing.clock_started_on, rule.notice_working_days).date
        steps = list(filing.transitions.values_list("recorded_at", flat=True))
        assert steps == sorted(steps)  # the steps in the order they were taken, each on its day

    # A returned filing, with a comment on each section returned; a resubmitted one that answered.
    returned = Filing.objects.get(status=FilingStatus.RETURNED)
    comments = dict(returned.sections.exclude(review_comment="").values_list("key", "review_comment"))
    assert set(comments) == {"premises", "fees"} and all(comments.values())
    assert set(returned.sections.filter(key__in=comments).values_list("status", flat=True)) == {SectionStatus.RETURNED}
    assert returned.institution.users.get().username == "institution"  # the demo's portal login answers it
    resubmitted = Filing.objects.get(status=FilingStatus.RESUBMITTED)
    assert list(resubmitted.transitions.values_list("name", flat=True)) == [
        "open",
        "submit",
        "start_review",
        "return",
        "resubmit",
    ]
    assert resubmitted.sections.get(key="fees").data["meal_fee"] == "300"


def test_a_filed_filing_with_its_receipt_an_inclusive_fee_flagged_and_the_routing(demo):
    filed = Filing.objects.get(status=FilingStatus.FILED)

    assert filed.number.startswith(f"{timezone.localdate().year}-330302-")
    assert filed.institution.status == InstitutionStatus.FILED
    receipt = document_latest(subject=filed, kind=FILING_RECEIPT)
    assert receipt is not None and receipt.number == filed.number
    assert document_file(receipt).startswith(b"%PDF")
    assert document_latest(subject=filed, kind=BASIC_CONDITIONS) is not None
    rejected = Filing.objects.get(status=FilingStatus.REJECTED)
    assert rejected.decision_comment and IssuedDocument.objects.filter(subject_id=rejected.pk).exists()

    # Lucheng's guided fee range, and an inclusive institution's fee above it flagged.
    guided = GuidedFeePolicy.objects.get(county__code="330302")
    assert (guided.full_day_min, guided.full_day_max, guided.half_day_min, guided.half_day_max) == (
        Decimal("1500"),
        Decimal("2800"),
        Decimal("800"),
        Decimal("1600"),
    )
    assert guided.legal_source == "鹿城区普惠托育服务价格指导意见（示范数据）"

    flagged = Filing.objects.get(fee_above_guided=True)
    assert flagged.institution.inclusive and flagged.fee_rule == guided
    assert Filing.objects.filter(fee_rule=guided, fee_above_guided=False).exists()  # one within the range

    # Routing: the nursery class to the education bureau; Longwan's rule puts an on-site check first.
    nursery = Filing.objects.get(institution__kind=InstitutionKind.NURSERY_CLASS)
    education, health = User.objects.get(username="education"), User.objects.get(username="health")
    assert nursery in Filing.objects.reviewed_by(education)
    assert nursery not in Filing.objects.reviewed_by(health)
    check = Filing.objects.get(status=FilingStatus.SITE_CHECK)
    assert check.institution.street.county.code == "330303" and check.site_check_required


def test_every_institution_with_a_filing_has_a_portal_login_that_works(demo, client):
    institutions = Institution.objects.filter(filings__isnull=False).distinct()
    assert institutions.count() == Filing.objects.count()
    for institution in institutions:
        user = institution.users.get(role=Role.INSTITUTION)
        assert user.is_active and user.institution_administrator
        sign_in = RequestFactory().post("/portal/login/")
        assert authenticate(sign_in, username=user.username, password=DEMO_PASSWORD) == user
        client.force_login(user)
        assert client.get(reverse("portal:home")).status_code == 200
        client.logout()
    materials = StoredFile.objects.filter(subject_type__model="filingsection")
    assert materials.exists() and set(materials.values_list("content_type", flat=True)) == {"application/pdf"}
    assert all(f.file.read().startswith(b"%PDF") for f in materials[:3])
