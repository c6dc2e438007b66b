"""The filing workflow through its services: sections, submission, routing, the review's steps,
deadlines in working days, fees against the guided range, numbers, documents and notices."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from luchen_care.documents.models import IssuedDocument
from luchen_care.exchange.models import PushDelivery
from luchen_care.workdays.models import WorkdayOverride
from luchen_care.workdays.services import workday_override_save
from registry.models import (
    Filing,
    FilingDeadlinePolicy,
    FilingKind,
    FilingStatus,
    FilingTransition,
    GuidedFeePolicy,
    InstitutionStatus,
    SectionKey,
    SectionStatus,
)
from registry.services import filings as services
from tests.registry.factories import InstitutionFactory
from tests.registry.filing_factories import (
    complete_filing,
    filed_filing,
    fill_section,
    institution_user,
    section_input,
    submitted_filing,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def registered():
    return InstitutionFactory(status=InstitutionStatus.REGISTERED)


@pytest.fixture
def filer(registered):
    return institution_user(registered)


def test_a_new_filing_has_every_section_not_started_and_goes_to_the_health_bureau(registered, filer):
    filing = services.filing_open(institution=registered, actor=filer)
    assert filing.status == FilingStatus.DRAFT
    assert filing.review_body == "health_bureau"
    assert [s.key for s in filing.sections.all()] == [
        "basic",
        "premises",
        "classes",
        "staff",
        "safety",
        "food",
        "fees",
        "commitment",
    ]
    assert {s.status for s in filing.sections.all()} == {SectionStatus.NOT_STARTED}
    assert FilingTransition.objects.get(filing=filing).actor == filer


def test_submitting_an_incomplete_filing_is_refused_naming_what_is_missing_and_changes_nothing(registered, filer):
    filing = services.filing_open(institution=registered, actor=filer)
    fill_section(filing.sections.get(key=SectionKey.BASIC), filer)
    with pytest.raises(ValidationError) as refused:
        services.filing_submit(filing=filing, actor=filer)
    messages = refused.value.message_dict["sections"]
    assert any("场地" in m or "Premises" in m for m in messages)
    assert not any("Basic" in m or "基本信息" in m for m in messages)
    filing.refresh_from_db()
    assert filing.status == FilingStatus.DRAFT and filing.receipt_deadline is None
    assert filing.transitions.count() == 1


def test_a_lease_shorter_than_three_years_is_refused_and_nothing_is_saved(registered, filer):
    filing = services.filing_open(institution=registered, actor=filer)
    section = filing.sections.get(key=SectionKey.PREMISES)
    fill_section(section, filer)  # complete with a four-year lease
    short = section_input(SectionKey.PREMISES, lease_start="2026-01-01", lease_end="2028-06-30")
    with pytest.raises(ValidationError) as refused:
        services.filing_section_save(section=section, actor=filer, data=short)
    assert "3" in refused.value.message_dict["lease_end"][0]
    section.refresh_from_db()
    assert section.status == SectionStatus.COMPLETE
    assert section.data["lease_end"] != "2028-06-30"


def test_a_section_is_not_complete_without_its_required_materials(registered, filer):
    filing = services.filing_open(institution=registered, actor=filer)
    section = filing.sections.get(key=SectionKey.SAFETY)
    with pytest.raises(ValidationError) as refused:
        services.filing_section_save(section=section, actor=filer, data=section_input(SectionKey.SAFETY))
    assert len(refused.value.message_dict["materials"]) == 2
    saved = services.filing_section_save(
        section=section, actor=filer, data=section_input(SectionKey.SAFETY), complete=False
    )
    assert saved.status == SectionStatus.DRAFT and saved.data["hygiene_rating"] == "pass"


def test_food_licence_is_required_only_when_meals_are_served(registered, filer):
    filing = services.filing_open(institution=registered, actor=filer)
    section = filing.sections.get(key=SectionKey.FOOD)
    saved = services.filing_section_save(
        section=section, actor=filer, data={"serves_meals": "False", "food_licence_number": ""}
    )
    assert saved.status == SectionStatus.COMPLETE


def test_nursery_classes_go_to_the_education_bureau_queue_and_not_the_health_bureau(health_user, education_user):
    nursery = InstitutionFactory(nursery_class=True, status=InstitutionStatus.REGISTERED)
    standalone = InstitutionFactory(status=InstitutionStatus.REGISTERED)
    to_education = submitted_filing(nursery, institution_user(nursery))
    to_health = submitted_filing(standalone, institution_user(standalone))
    assert list(Filing.objects.reviewed_by(education_user)) == [to_education]
    assert list(Filing.objects.reviewed_by(health_user)) == [to_health]
    with pytest.raises(PermissionDenied):
        services.filing_review_start(filing=to_education, actor=health_user)
    with pytest.raises(PermissionDenied):
        services.filing_review_start(filing=to_health, actor=education_user)


def test_the_whole_review_return_resubmit_approve(registered, filer, health_user):
    filing = submitted_filing(registered, filer)
    services.filing_review_start(filing=filing, actor=health_user)
    services.filing_return(filing=filing, actor=health_user, comments={"premises": "租赁合同缺少盖章页"})
    filing.refresh_from_db()
    assert filing.status == FilingStatus.RETURNED
    premises = filing.sections.get(key="premises")
    assert premises.status == SectionStatus.RETURNED and premises.review_comment == "租赁合同缺少盖章页"
    assert filing.sections.get(key="basic").status == SectionStatus.ACCEPTED
    assert IssuedDocument.objects.filter(kind="registry.filing_return_notice", subject_id=filing.pk).count() == 1
    # The accepted sections stay as they were; the returned one is changed and the filing resubmitted.
    with pytest.raises(ValidationError):
        services.filing_section_save(section=filing.sections.get(key="basic"), actor=filer, data=section_input("basic"))
    services.filing_section_save(section=premises, actor=filer, data=section_input("premises", floor_area="430"))
    filing = services.filing_submit(filing=filing, actor=filer)
    assert filing.status == FilingStatus.RESUBMITTED
    services.filing_review_start(filing=filing, actor=health_user)
    filing = services.filing_approve(filing=filing, actor=health_user)
    registered.refresh_from_db()
    assert filing.status == FilingStatus.FILED
    assert (
        registered.status == InstitutionStatus.FILED
        and registered.transitions.last().document_reference == filing.number
    )
    year = filing.decided_at.year
    assert filing.number == f"{year}-330302-0001"
    kinds = set(IssuedDocument.objects.filter(subject_id=filing.pk).values_list("kind", flat=True))
    assert {"registry.filing_receipt", "registry.filing_basic_conditions"} <= kinds
    steps = list(filing.transitions.values_list("name", "actor__username"))
    assert [name for name, _who in steps] == [
        "open",
        "submit",
        "start_review",
        "return",
        "resubmit",
        "start_review",
        "approve",
    ]
    assert PushDelivery.objects.filter(topic="registry.filing_decision").count() == 2


def test_approving_a_filing_not_under_review_is_refused_and_changes_nothing(registered, filer, health_user):
    filing = submitted_filing(registered, filer)
    with pytest.raises(ValidationError) as refused:
        services.filing_approve(filing=filing, actor=health_user)
    assert "status" in refused.value.message_dict
    filing.refresh_from_db()
    registered.refresh_from_db()
    assert filing.status == FilingStatus.SUBMITTED and filing.number == ""
    assert registered.status == InstitutionStatus.REGISTERED
    assert not IssuedDocument.objects.filter(subject_id=filing.pk, kind="registry.filing_receipt").exists()


def test_rejecting_needs_reasons_and_is_final(registered, filer, health_user):
    filing = submitted_filing(registered, filer)
    services.filing_review_start(filing=filing, actor=health_user)
    with pytest.raises(ValidationError):
        services.filing_reject(filing=filing, actor=health_user, reasons=" ")
    filing = services.filing_reject(filing=filing, actor=health_user, reasons="场地不符合要求")
    assert filing.status == FilingStatus.REJECTED
    with pytest.raises(ValidationError):
        services.filing_submit(filing=filing, actor=filer)
    # A new filing may be opened after a rejection.
    assert services.filing_open(institution=registered, actor=filer).status == FilingStatus.DRAFT


def test_the_institution_withdraws_before_a_decision(registered, filer, health_user):
    filing = submitted_filing(registered, filer)
    with pytest.raises(PermissionDenied):
        services.filing_withdraw(filing=filing, actor=health_user)
    assert services.filing_withdraw(filing=filing, actor=filer).status == FilingStatus.WITHDRAWN


def test_a_second_open_filing_is_refused(registered, filer):
    services.filing_open(institution=registered, actor=filer)
    with pytest.raises(ValidationError):
        services.filing_open(institution=registered, actor=filer)


# --- deadlines ---


def test_deadlines_after_national_day_and_an_override_moves_both_and_resubmission_restarts(
    registered, filer, health_user
):
    with time_machine.travel(datetime.datetime(2026, 9, 29, 10, 0, tzinfo=datetime.UTC), tick=False):
        filing = submitted_filing(registered, filer)
    # 2026: 9-30 works; 10-1..10-7 holiday; 10-8, 10-9 and the make-up Saturday 10-10 work; 10-11 is a Sunday.
    assert filing.clock_started_on == datetime.date(2026, 9, 29)
    assert filing.receipt_deadline == datetime.date(2026, 10, 12)
    assert filing.notice_deadline == datetime.date(2026, 10, 26)
    workday_override_save(
        override=WorkdayOverride(date=datetime.date(2026, 10, 8), is_working_day=False, reason="台风停工"),
        actor=health_user,
    )
    filing.refresh_from_db()
    assert filing.receipt_deadline == datetime.date(2026, 10, 13)
    assert filing.notice_deadline == datetime.date(2026, 10, 27)
    with time_machine.travel(datetime.datetime(2026, 10, 9, 3, 0, tzinfo=datetime.UTC), tick=False):
        services.filing_review_start(filing=filing, actor=health_user)
        services.filing_return(filing=filing, actor=health_user, comments={"fees": "请补充收费项目"})
        fill_section(filing.sections.get(key="fees"), filer)
        filing = services.filing_submit(filing=filing, actor=filer)
    assert filing.clock_started_on == datetime.date(2026, 10, 9)
    assert filing.receipt_deadline == datetime.date(2026, 10, 15)  # 10-10, 12, 13, 14, 15


# --- fees ---


@pytest.fixture
def guided_range(registered):
    return GuidedFeePolicy.objects.create(
        county=registered.street.county,
        effective_from=datetime.date(2024, 1, 1),
        full_day_min=Decimal("1500"),
        full_day_max=Decimal("2800"),
        half_day_min=Decimal("800"),
        half_day_max=Decimal("1600"),
        legal_source="鹿城区普惠托育服务价格指导意见",
    )


def test_an_inclusive_fee_above_the_guided_range_is_flagged_and_one_within_is_not(guided_range):
    above = InstitutionFactory(status=InstitutionStatus.REGISTERED, inclusive=True)
    within = InstitutionFactory(status=InstitutionStatus.REGISTERED, inclusive=True)
    private = InstitutionFactory(status=InstitutionStatus.REGISTERED)
    high = {"toddler_full_day": "3200", "older_full_day": "2500"}
    fair = {"toddler_full_day": "2600", "older_full_day": "2500"}
    assert submitted_filing(above, institution_user(above), **high).fee_above_guided is True
    flagged = submitted_filing(within, institution_user(within), **fair)
    assert flagged.fee_above_guided is False and flagged.fee_rule == guided_range
    assert submitted_filing(private, institution_user(private), **high).fee_rule is None


# --- change and closure ---


def test_a_change_registration_reopens_the_filing_and_keeps_the_number(registered, filer, health_user, market_user):
    filing = filed_filing(registered, filer, health_user)
    from registry.services.registrations import registration_record

    registration, _created = registration_record(
        actor=market_user,
        source="api",
        authority="market_regulation",
        registration_number="CHG-1",
        registered_on=datetime.date.today(),
        kind="change",
        credit_code=registered.credit_code,
        institution_name=registered.name,
        street_code=registered.street.code,
        address="温州市鹿城区新地址2号",
        legal_representative=registered.legal_representative,
    )
    change = Filing.objects.get(registration=registration)
    assert change.kind == FilingKind.CHANGE and change.number == filing.number
    statuses = dict(change.sections.values_list("key", "status"))
    assert statuses["basic"] == statuses["premises"] == SectionStatus.DRAFT
    assert statuses["fees"] == SectionStatus.ACCEPTED


def test_an_approved_closure_filing_closes_the_institution(registered, filer, health_user):
    filed_filing(registered, filer, health_user)
    closure = complete_filing(registered, filer, kind=FilingKind.CLOSURE)
    services.filing_submit(filing=closure, actor=filer)
    services.filing_review_start(filing=closure, actor=health_user)
    services.filing_approve(filing=closure, actor=health_user)
    registered.refresh_from_db()
    assert registered.status == InstitutionStatus.CLOSED and registered.archived
    assert "12" in registered.archived_reason


def test_a_site_check_rule_puts_the_check_between_review_and_decision(registered, filer, health_user):
    FilingDeadlinePolicy.objects.create(
        effective_from=datetime.date(2026, 1, 1),
        receipt_working_days=5,
        notice_working_days=15,
        site_check_required=True,
        legal_source="托育服务法（草案）准入许可",
    )
    filing = submitted_filing(registered, filer)
    assert filing.site_check_required
    services.filing_review_start(filing=filing, actor=health_user)
    with pytest.raises(ValidationError):
        services.filing_approve(filing=filing, actor=health_user)
    services.filing_site_check_start(filing=filing, actor=health_user)
    assert services.filing_approve(filing=filing, actor=health_user).status == FilingStatus.FILED


def test_the_filing_receipt_prints_the_number_and_the_name_in_chinese(registered, filer, health_user, caplog):
    import shutil
    import subprocess

    filing = filed_filing(registered, filer, health_user)
    receipt = IssuedDocument.objects.get(subject_id=filing.pk, kind="registry.filing_receipt")
    assert shutil.which("pdftotext"), "poppler-utils is installed in CI"
    text = subprocess.run(["pdftotext", "-", "-"], input=bytes(receipt.content), capture_output=True, check=True).stdout
    text = text.decode()
    assert filing.number in text and registered.name in text and "备案回执" in text
    assert not [r for r in caplog.records if "no glyph" in r.getMessage()]


def test_an_institution_sees_only_its_own_filings_sections_and_steps(registered, filer):
    from registry.models import FilingSection

    mine = services.filing_open(institution=registered, actor=filer)
    other = InstitutionFactory(status=InstitutionStatus.REGISTERED)
    theirs = services.filing_open(institution=other, actor=institution_user(other))
    assert list(Filing.objects.visible_to(filer)) == [mine]
    assert not FilingSection.objects.visible_to(filer).filter(filing=theirs).exists()
    assert FilingSection.objects.visible_to(filer).filter(filing=mine).count() == 8
    assert not FilingTransition.objects.visible_to(filer).filter(filing=theirs).exists()
    with pytest.raises(PermissionDenied):
        services.filing_section_save(section=theirs.sections.first(), actor=filer, data=section_input("basic"))


def test_the_nightly_job_recounts_a_deadline_whose_window_holds_a_new_override(registered, filer):
    from luchen_care.workdays import calendar
    from registry.tasks import recompute_provisional_push_deadlines

    with time_machine.travel(datetime.datetime(2026, 12, 28, 2, 0, tzinfo=datetime.UTC), tick=False):
        filing = submitted_filing(registered, filer)
    # The receipt window (2026-12-29 … 2027-01-05) crosses into 2027; if the package already knows 2027 the
    # deadline is exact, otherwise it is provisional until the arrangement is known.
    assert filing.deadlines_provisional == (not calendar.package_knows(2027))
    WorkdayOverride.objects.create(date=datetime.date(2026, 12, 30), is_working_day=False, reason="停电")
    before = filing.receipt_deadline
    assert recompute_provisional_push_deadlines.apply().get() >= 1
    filing.refresh_from_db()
    assert filing.receipt_deadline > before


def test_approving_the_filing_closes_the_registrations_awaiting_filing_entry(registered, filer, health_user):
    from registry.selectors.registrations import registrations_awaiting_filing
    from tests.registry.test_workbench import add_registration

    registration = add_registration(registered, "market_regulation", registered=-3, deadline=2, pushed=-2, inbox=True)
    assert list(registrations_awaiting_filing(user=health_user)) == [registration]
    filing = filed_filing(registered, filer, health_user)
    assert filing.registration == registration
    assert list(registrations_awaiting_filing(user=health_user)) == []


# --- what a review found: bad input is refused or kept safely, never a 500 ---


def test_a_draft_keeps_what_was_typed_without_null_characters_and_within_the_fields_length(registered, filer):
    filing = services.filing_open(institution=registered, actor=filer)
    basic = services.filing_section_save(
        section=filing.sections.get(key="basic"),
        actor=filer,
        data={"contact_person": "李\x00老师", "service_hours": "全天" * 200},
        complete=False,
    )
    assert basic.data["contact_person"] == "李老师"
    assert len(basic.data["service_hours"]) == 100  # the field's max_length
    classes = services.filing_section_save(
        section=filing.sections.get(key="classes"),
        actor=filer,
        data={"infant_classes": "-1", "infant_places": "9" * 30},
        complete=False,
    )
    assert classes.data["infant_classes"] == "-1" and classes.data["infant_places"] == "9" * 30


def test_a_lease_starting_near_the_year_9999_is_refused_not_a_crash(registered, filer):
    filing = services.filing_open(institution=registered, actor=filer)
    section = filing.sections.get(key="premises")
    far = section_input("premises", lease_start="9998-01-01", lease_end="9999-12-31")
    with pytest.raises(ValidationError) as refused:
        services.filing_section_save(section=section, actor=filer, data=far)
    assert "lease_end" in refused.value.message_dict


def test_yes_and_no_are_read_in_any_case():
    from registry.forms.filings import FoodSectionForm

    form = FoodSectionForm(data={"serves_meals": "false"})
    assert form.is_valid() and form.cleaned_data["serves_meals"] is False


def test_a_withdrawal_comment_with_a_null_character_or_too_long_is_refused(registered, filer):
    filing = services.filing_open(institution=registered, actor=filer)
    for comment in ("撤回\x00", "长" * 2001):
        with pytest.raises(ValidationError) as refused:
            services.filing_withdraw(filing=filing, actor=filer, comment=comment)
        assert "comment" in refused.value.message_dict
    filing.refresh_from_db()
    assert filing.status == FilingStatus.DRAFT


def test_an_institution_that_never_filed_cannot_open_a_closure_filing(registered, filer):
    with pytest.raises(ValidationError):
        services.filing_open(institution=registered, actor=filer, kind=FilingKind.CLOSURE)
    assert not Filing.objects.filter(institution=registered).exists()


def test_a_deregistration_withdraws_the_filing_in_progress_and_opens_the_closure_filing(registered, filer, market_user):
    from registry.services.registrations import registration_record

    draft = services.filing_open(institution=registered, actor=filer)
    registration, _created = registration_record(
        actor=market_user,
        source="api",
        authority="market_regulation",
        registration_number="DEREG-1",
        registered_on=datetime.date.today(),
        kind="deregistration",
        credit_code=registered.credit_code,
        institution_name=registered.name,
        street_code=registered.street.code,
        address=registered.address,
        legal_representative=registered.legal_representative,
    )
    draft.refresh_from_db()
    assert draft.status == FilingStatus.WITHDRAWN
    assert "DEREG-1" in draft.transitions.last().comment
    closure = Filing.objects.get(registration=registration)
    assert closure.kind == FilingKind.CLOSURE and closure.status == FilingStatus.DRAFT


def test_a_change_filing_reopens_the_sections_chosen_and_carries_the_materials(registered, filer, health_user):
    from luchen_care.files.models import StoredFile

    filed = filed_filing(registered, filer, health_user)
    change = services.filing_open(institution=registered, actor=filer, kind=FilingKind.CHANGE, reopen=["fees"])
    statuses = dict(change.sections.values_list("key", "status"))
    assert statuses["fees"] == SectionStatus.DRAFT and statuses["basic"] == SectionStatus.ACCEPTED
    old_safety = filed.sections.get(key="safety")
    new_safety = change.sections.get(key="safety")
    carried = StoredFile.objects.filter(subject_id=new_safety.pk, subject_type__model="filingsection")
    originals = StoredFile.objects.filter(subject_id=old_safety.pk, subject_type__model="filingsection")
    assert sorted(carried.values_list("sha256", flat=True)) == sorted(originals.values_list("sha256", flat=True))
    assert carried.count() == 2
    # The fees are changed and the filing resubmitted with nothing else to do.
    fill_section(change.sections.get(key="fees"), filer, toddler_full_day="3100")
    assert services.filing_submit(filing=change, actor=filer).status == FilingStatus.SUBMITTED
    with pytest.raises(ValidationError):
        services.filing_open(institution=registered, actor=filer, kind=FilingKind.CHANGE, reopen=[])


def test_a_filing_of_an_institution_closed_since_cannot_be_approved(registered, filer, health_user):
    from registry.services.institutions import institution_close

    filing = submitted_filing(registered, filer)
    services.filing_review_start(filing=filing, actor=health_user)
    institution_close(institution=registered, actor=health_user, reason="停办，婴幼儿已妥善安置")
    with pytest.raises(ValidationError):
        services.filing_approve(filing=filing, actor=health_user)
    filing.refresh_from_db()
    assert filing.status == FilingStatus.UNDER_REVIEW and filing.number == ""


# --- each section's own refusals (the one input declaration the portal, the API and the services share) ---


@pytest.mark.parametrize(
    ("key", "overrides", "field"),
    [
        ("classes", {"toddler_classes": "1", "toddler_places": "16"}, "toddler_places"),
        ("classes", {"toddler_classes": "", "toddler_places": "10"}, "toddler_classes"),
        ("classes", {"toddler_classes": "2", "toddler_places": ""}, "toddler_places"),
        ("staff", {"total": "5", "caregivers": "6"}, "__all__"),
        ("staff", {"all_certified": "False"}, "all_certified"),
        ("safety", {"hygiene_rating": "fail"}, "hygiene_rating"),
        ("safety", {"fire_safety_passed": "False"}, "fire_safety_passed"),
        ("safety", {"hygiene_report_on": "2999-01-01"}, "hygiene_report_on"),
        ("food", {"serves_meals": "True", "food_licence_number": " "}, "food_licence_number"),
        ("commitment", {"signed_on": "2999-01-01"}, "signed_on"),
        ("placement", {"receiving_institutions": ""}, "receiving_institutions"),
        ("placement", {"families_informed": "False"}, "families_informed"),
        ("premises", {"lease_start": "2020-01-01", "lease_end": "2024-01-01"}, "lease_end"),
    ],
)
def test_each_sections_refusal_is_keyed_by_its_field(key, overrides, field):
    from registry.forms.filings import SECTION_FORMS

    form = SECTION_FORMS[key](data=section_input(key, **overrides))
    assert not form.is_valid()
    assert field in form.errors, form.errors


def test_a_section_without_any_class_or_fee_is_refused_and_owned_premises_need_no_lease():
    from registry.forms.filings import SECTION_FORMS

    classes = SECTION_FORMS["classes"](data={})
    assert not classes.is_valid() and "__all__" in classes.errors
    fees = SECTION_FORMS["fees"](data={"includes": "保育"})
    assert not fees.is_valid() and "__all__" in fees.errors
    owned = SECTION_FORMS["premises"](data={"tenure": "own", "floor_area": "300", "lease_end": "2000-01-01"})
    assert owned.is_valid() and owned.cleaned_data["lease_end"] is None


def test_a_rejection_issues_its_notice_and_tells_the_institution(registered, filer, health_user):
    filing = submitted_filing(registered, filer)
    services.filing_review_start(filing=filing, actor=health_user)
    services.filing_reject(filing=filing, actor=health_user, reasons="场地不符合要求")
    notice = IssuedDocument.objects.get(subject_id=filing.pk, kind="registry.filing_rejection_notice")
    import subprocess

    text = subprocess.run(["pdftotext", "-", "-"], input=bytes(notice.content), capture_output=True, check=True)
    assert "场地不符合要求" in text.stdout.decode() and notice.title == "不予备案通知书"
    step = filing.transitions.get(name="reject")
    assert PushDelivery.objects.filter(topic="registry.filing_decision", subject_id=step.pk).exists()


def test_numbers_follow_on_within_the_county_and_year(filer, health_user):
    first = InstitutionFactory(status=InstitutionStatus.REGISTERED)
    second = InstitutionFactory(status=InstitutionStatus.REGISTERED)
    one = filed_filing(first, institution_user(first), health_user)
    two = filed_filing(second, institution_user(second), health_user)
    year = one.decided_at.year
    assert (one.number, two.number) == (f"{year}-330302-0001", f"{year}-330302-0002")
