"""The bureau's review of filings in the admin: the queue each bureau gets, its deadlines, the read-only
filing page, the review's steps through their pages, the policy rows, and the workbench's entries.

Filings are built through the filing services (``tests.registry.filing_factories``); dates are set by
travelling in time, never by writing a status or a deadline.
"""

import datetime
import zoneinfo
from decimal import Decimal

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.translation import gettext

from luchen_care.accounts.models import Role
from luchen_care.core.workbench import Audience, workbench_entries
from luchen_care.documents.models import IssuedDocument
from luchen_care.files.models import StoredFile
from luchen_care.regions.models import County
from registry.forms.filings import SECTION_FORMS
from registry.models import (
    Filing,
    FilingDeadlinePolicy,
    FilingStatus,
    FilingTransition,
    GuidedFeePolicy,
    InstitutionStatus,
    SectionKey,
    SectionStatus,
)
from registry.services import filings as services
from registry.services.policies import filing_deadline_policy_save
from registry.services.streets import county_streets_load
from registry.workbench import filing_review_entries
from tests.accounts.factories import UserFactory
from tests.registry.factories import InstitutionFactory, street
from tests.registry.filing_factories import complete_filing, institution_user, submitted_filing

pytestmark = pytest.mark.django_db

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
QUEUE = reverse("admin:registry_filing_changelist")


def at(day, hour=10):
    """A moment of ``day`` in Asia/Shanghai, for time_machine."""
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=SHANGHAI)


def review_url(filing, step):
    return reverse("admin:registry_filing_review", args=[filing.pk, step])


def change_url(filing):
    return reverse("admin:registry_filing_change", args=[filing.pk])


def texts(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def standalone():
    return InstitutionFactory(status=InstitutionStatus.REGISTERED, name="鹿城审查测试托育园")


@pytest.fixture
def nursery():
    return InstitutionFactory(nursery_class=True, status=InstitutionStatus.REGISTERED, name="鹿城幼儿园托班")


def under_review(institution, reviewer):
    filing = submitted_filing(institution, institution_user(institution))
    return services.filing_review_start(filing=filing, actor=reviewer)


def snapshot(filing):
    """What a refused step must leave as it was."""
    return (
        list(Filing.objects.filter(pk=filing.pk).values()),
        list(filing.sections.order_by("pk").values("status", "review_comment")),
        FilingTransition.objects.filter(filing=filing).count(),
        IssuedDocument.objects.count(),
    )


# --- the queue -----------------------------------------------------------------------------------


def test_a_nursery_filing_is_in_the_education_bureaus_queue_and_not_the_health_bureaus_and_the_reverse(
    client, standalone, nursery, health_user, education_user
):
    to_education = submitted_filing(nursery, institution_user(nursery))
    to_health = submitted_filing(standalone, institution_user(standalone))

    client.force_login(education_user)
    page = client.get(QUEUE)
    assert page.status_code == 200
    assert list(page.context["cl"].result_list) == [to_education]
    assert nursery.name in page.content.decode() and standalone.name not in page.content.decode()
    assert client.get(change_url(to_health)).status_code == 404

    client.force_login(health_user)
    page = client.get(QUEUE)
    assert list(page.context["cl"].result_list) == [to_health]
    assert nursery.name not in page.content.decode()
    assert client.get(change_url(to_education)).status_code == 404
    # Another bureau's filing cannot be taken up from here either: not found, nothing changed.
    before = snapshot(to_education)
    assert client.post(review_url(to_education, "start_review"), {"apply": "1"}).status_code == 404
    assert snapshot(to_education) == before


def test_a_filing_due_today_or_overdue_stands_out_and_the_queue_counts_working_days_left(client, health_user):
    # Submitted on Mondays and a Friday of November 2026 (no holiday): 5 working days from the day after.
    overdue = InstitutionFactory(status=InstitutionStatus.REGISTERED, name="逾期托育园")
    due = InstitutionFactory(status=InstitutionStatus.REGISTERED, name="今日到期托育园")
    ahead = InstitutionFactory(status=InstitutionStatus.REGISTERED, name="未到期托育园")
    for institution, day in (
        (overdue, datetime.date(2026, 10, 26)),
        (due, datetime.date(2026, 11, 2)),
        (ahead, datetime.date(2026, 11, 6)),
    ):
        with time_machine.travel(at(day), tick=False):
            submitted_filing(institution, institution_user(institution))
    assert Filing.objects.get(institution=due).receipt_deadline == datetime.date(2026, 11, 9)

    client.force_login(health_user)
    with time_machine.travel(at(datetime.date(2026, 11, 9)), tick=False):
        page = client.get(QUEUE)
        rows = list(page.context["cl"].result_list)
        # Ordered by the receipt deadline.
        assert [f.institution for f in rows] == [overdue, due, ahead]
        assert [f.working_days_left for f in rows] == [-5, 0, 4]
        body = page.content.decode()
        assert body.count('class="filing-overdue"') == 2  # its deadline and its working days
        assert body.count('class="filing-due-today"') == 2
        # The filters open each group.
        assert [f.institution for f in client.get(QUEUE + "?due=overdue").context["cl"].result_list] == [overdue]
        assert [f.institution for f in client.get(QUEUE + "?due=today").context["cl"].result_list] == [due]
        assert [f.institution for f in client.get(QUEUE + "?due=ahead").context["cl"].result_list] == [ahead]
        entries = {e.key: e for e in filing_review_entries(health_user)}
    assert entries["registry.filings_awaiting_review"].count == 3
    assert entries["registry.filings_awaiting_review"].urgent
    assert entries["registry.filings_awaiting_review"].url.endswith("?due=awaiting")
    assert entries["registry.filings_overdue"].count == 1


def test_the_queues_queries_do_not_grow_with_the_number_of_filings(client, health_user):
    def queue_queries():
        client.get(QUEUE)  # the session, content types and translations are loaded once
        with CaptureQueriesContext(connection) as queries:
            page = client.get(QUEUE)
        assert page.status_code == 200
        return len(queries), len(page.context["cl"].result_list)

    client.force_login(health_user)

    def add(count, submitted):
        for index in range(count):
            institution = InstitutionFactory(status=InstitutionStatus.REGISTERED)
            if index < submitted:
                submitted_filing(institution, institution_user(institution))
            else:
                services.filing_open(institution=institution, actor=institution_user(institution))

    add(3, submitted=2)
    few, shown = queue_queries()
    assert shown == 3
    add(27, submitted=4)
    many, shown = queue_queries()
    assert shown == 30
    assert many == few


# --- a filing's page and its steps ---------------------------------------------------------------


def test_the_filing_page_is_read_only_and_shows_each_section_with_its_form_labels_and_materials(
    client, standalone, health_user
):
    filing = submitted_filing(standalone, institution_user(standalone))
    client.force_login(health_user)
    page = client.get(change_url(filing))
    assert page.status_code == 200
    body = page.content.decode()
    assert str(SECTION_FORMS[SectionKey.BASIC].base_fields["contact_person"].label) in body
    assert str(SECTION_FORMS[SectionKey.CLASSES]().fields["toddler_places"].label) in body  # built with the form
    assert "李老师" in body
    licence = StoredFile.objects.get(subject_id=filing.sections.get(key="basic").pk, purpose="filing.licence")
    assert reverse("files:download", args=[licence.public_id]) in body
    assert client.get(reverse("files:download", args=[licence.public_id])).status_code == 200
    assert 'id="filing-step-start_review"' in body
    assert 'id="filing-step-approve"' not in body  # not under review yet
    assert "<input" not in body.split('id="filing-sections"')[1].split("</fieldset>")[0]  # no field to edit
    # A direct edit of the fields is refused.
    before = snapshot(filing)
    client.post(change_url(filing), {"status": "filed", "number": "2026-330302-9999"})
    assert snapshot(filing) == before


def test_returning_needs_a_comment_and_returns_the_sections_commented_on(client, standalone, health_user):
    filing = under_review(standalone, health_user)
    client.force_login(health_user)
    url = review_url(filing, "return")
    page = client.get(url)
    assert page.status_code == 200
    body = page.content.decode()
    for section in filing.sections.all():
        assert f'name="comment_{section.key}"' in body

    before = snapshot(filing)
    refused = client.post(url, {"apply": "1", "comment_basic": "  "})
    assert refused.status_code == 200
    assert gettext("Say, on at least one section, what the institution must change.") in refused.content.decode()
    assert snapshot(filing) == before

    done = client.post(url, {"apply": "1", "comment_premises": "租赁合同页缺失，请补传。", "comment_fees": ""})
    assert done.status_code == 302 and done["Location"] == change_url(filing)
    filing.refresh_from_db()
    assert filing.status == FilingStatus.RETURNED
    premises = filing.sections.get(key=SectionKey.PREMISES)
    assert (premises.status, premises.review_comment) == (SectionStatus.RETURNED, "租赁合同页缺失，请补传。")
    assert set(filing.sections.exclude(key=SectionKey.PREMISES).values_list("status", flat=True)) == {
        SectionStatus.ACCEPTED
    }
    page = client.get(change_url(filing)).content.decode()
    assert "租赁合同页缺失，请补传。" in page
    # The notice with the reasons is among the filing's documents, downloadable here.
    notice = IssuedDocument.objects.get(subject_id=filing.pk, kind="registry.filing_return_notice")
    link = reverse("admin:registry_filing_document", args=[filing.pk, notice.pk])
    assert link in page
    pdf = client.get(link)
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"


def test_approving_is_refused_unless_under_review_and_then_issues_the_receipt(client, standalone, health_user):
    filing = submitted_filing(standalone, institution_user(standalone))
    client.force_login(health_user)
    before = snapshot(filing)
    refused = client.post(review_url(filing, "approve"), {"apply": "1"})
    assert refused.status_code == 302
    expected = gettext("Only a filing under review can be approved; this one is “%(status)s”.") % {
        "status": FilingStatus.SUBMITTED.label
    }
    assert any(expected in text for text in texts(refused))
    assert snapshot(filing) == before

    assert client.post(review_url(filing, "start_review"), {"apply": "1"}).status_code == 302
    filing.refresh_from_db()
    assert filing.status == FilingStatus.UNDER_REVIEW
    # Stopping at the confirmation page changes nothing.
    assert 'id="filing-step-form"' in client.get(review_url(filing, "approve")).content.decode()
    assert client.post(review_url(filing, "approve"), {}).status_code == 200
    assert Filing.objects.get(pk=filing.pk).status == FilingStatus.UNDER_REVIEW

    done = client.post(review_url(filing, "approve"), {"apply": "1", "comment": "材料齐全"})
    assert done.status_code == 302
    filing.refresh_from_db()
    assert filing.status == FilingStatus.FILED and filing.number
    receipt = IssuedDocument.objects.get(subject_id=filing.pk, kind="registry.filing_receipt")
    page = client.get(change_url(filing)).content.decode()
    assert filing.number in page and 'id="filing-step-' not in page
    assert client.get(reverse("admin:registry_filing_document", args=[filing.pk, receipt.pk])).status_code == 200
    # A document of another record is not served through this filing.
    other = IssuedDocument.objects.exclude(subject_id=filing.pk).first()
    if other is not None:
        assert client.get(reverse("admin:registry_filing_document", args=[filing.pk, other.pk])).status_code == 404

    # The institution's page lists its registrations, filings (status, number) and documents.
    page = client.get(reverse("admin:registry_institution_change", args=[standalone.pk])).content.decode()
    section = page.split('id="institution-filings"')[1].split("</fieldset>")[0]
    assert filing.number in section and str(FilingStatus.FILED.label) in section
    assert change_url(filing) in section
    documents = page.split('id="institution-issued-documents"')[1].split("</fieldset>")[0]
    assert reverse("admin:registry_filing_document", args=[filing.pk, receipt.pk]) in documents
    assert 'id="institution-registrations"' in page


def test_rejecting_without_reasons_is_refused_and_changes_nothing(client, standalone, health_user):
    filing = under_review(standalone, health_user)
    client.force_login(health_user)
    before = snapshot(filing)
    page = client.post(review_url(filing, "reject"), {"apply": "1", "reasons": "   "})
    assert page.status_code == 200
    assert gettext("Give the reasons for the rejection.") in page.content.decode()
    assert snapshot(filing) == before
    done = client.post(review_url(filing, "reject"), {"apply": "1", "reasons": "场地不符合要求"})
    assert done.status_code == 302
    filing.refresh_from_db()
    assert filing.status == FilingStatus.REJECTED and filing.decision_comment == "场地不符合要求"


def test_a_street_office_and_the_city_commission_cannot_take_a_step(client, standalone, health_user, wuma_user):
    filing = under_review(standalone, health_user)
    before = snapshot(filing)
    client.force_login(wuma_user)
    assert client.get(QUEUE).status_code == 403
    assert client.get(change_url(filing)).status_code == 403
    for step in ("approve", "reject", "return", "start_review"):
        response = client.post(review_url(filing, step), {"apply": "1", "reasons": "x", "comment_basic": "x"})
        assert response.status_code == 403
    assert snapshot(filing) == before

    city = UserFactory(role=Role.CITY_HEALTH_COMMISSION, county=None, city_code="3303")
    client.force_login(city)
    page = client.get(change_url(filing))
    assert page.status_code == 200 and 'id="filing-step-' not in page.content.decode()
    assert client.post(review_url(filing, "approve"), {"apply": "1"}).status_code == 403
    assert snapshot(filing) == before


def test_the_site_check_step_is_offered_only_when_the_rule_requires_it(client, standalone, health_user):
    filing = under_review(standalone, health_user)
    client.force_login(health_user)
    assert 'id="filing-step-site_check"' not in client.get(change_url(filing)).content.decode()
    refused = client.post(review_url(filing, "site_check"), {"apply": "1"})
    assert any(gettext("No on-site check is required for this filing.") in t for t in texts(refused))
    assert Filing.objects.get(pk=filing.pk).status == FilingStatus.UNDER_REVIEW


# --- the policy rows -------------------------------------------------------------------------------


def test_the_health_bureau_adds_its_countys_guided_fee_range_and_deadline_rule_in_the_admin(client, health_user):
    client.force_login(health_user)
    add = client.post(
        reverse("admin:registry_guidedfeepolicy_add"),
        {
            "effective_from": "2027-01-01",
            "full_day_min": "1500",
            "full_day_max": "2800",
            "half_day_min": "800",
            "half_day_max": "1600",
            "legal_source": "鹿城区普惠托育服务价格指导意见",
            "note": "",
        },
    )
    assert add.status_code == 302, add.content.decode()[:2000]
    row = GuidedFeePolicy.objects.get()
    assert row.county == health_user.county and row.created_by == health_user
    assert row.full_day_max == Decimal("2800")

    add = client.post(
        reverse("admin:registry_filingdeadlinepolicy_add"),
        {
            "effective_from": "2027-01-01",
            "receipt_working_days": "5",
            "notice_working_days": "15",
            "site_check_required": "on",
            "legal_source": "托育服务法（草案）",
            "note": "",
        },
    )
    assert add.status_code == 302
    rule = FilingDeadlinePolicy.objects.get(county=health_user.county)
    assert rule.site_check_required

    # Another county's bureau does not reach the row; the default row is the superuser's.
    county_streets_load(code="330303")
    longwan = UserFactory(role=Role.HEALTH_BUREAU, county=County.objects.get(code="330303"))
    client.force_login(longwan)
    assert client.get(reverse("admin:registry_guidedfeepolicy_change", args=[row.pk])).status_code == 404
    default = FilingDeadlinePolicy.objects.get(county__isnull=True)
    client.force_login(health_user)
    client.post(
        reverse("admin:registry_filingdeadlinepolicy_change", args=[default.pk]),
        {"receipt_working_days": "3", "notice_working_days": "10", "legal_source": "篡改"},
    )
    default.refresh_from_db()
    assert (default.receipt_working_days, default.legal_source[:2]) == (5, "托育")


def test_a_deadline_rule_that_counted_filings_keeps_its_day_and_figures(standalone, health_user):
    superuser = UserFactory(is_superuser=True, role="", county=None)
    submitted_filing(standalone, institution_user(standalone))
    rule = FilingDeadlinePolicy.objects.get(county__isnull=True)
    rule.receipt_working_days = 3
    with pytest.raises(ValidationError) as refused:
        filing_deadline_policy_save(policy=rule, actor=superuser)
    assert "receipt_working_days" in refused.value.message_dict
    assert FilingDeadlinePolicy.objects.get(pk=rule.pk).receipt_working_days == 5


# --- the workbench -----------------------------------------------------------------------------------


def test_the_workbench_counts_the_filings_awaiting_each_bureau_in_one_query(
    client, standalone, nursery, health_user, education_user, wuma_user, django_assert_num_queries
):
    submitted_filing(standalone, institution_user(standalone))
    submitted_filing(nursery, institution_user(nursery))
    other = InstitutionFactory(status=InstitutionStatus.REGISTERED, street=street("330302023"))
    complete_filing(other, institution_user(other))  # a draft: not awaiting the bureau

    with django_assert_num_queries(1):
        entries = {e.key: e for e in filing_review_entries(health_user)}
    assert entries["registry.filings_awaiting_review"].count == 1
    assert not entries["registry.filings_awaiting_review"].urgent  # five working days ahead
    assert entries["registry.filings_overdue"].count == 0
    education = {e.key: e.count for e in workbench_entries(education_user, audience=Audience.STAFF)}
    assert education["registry.filings_awaiting_review"] == 1
    assert "registry.filings_awaiting_review" not in {
        e.key for e in workbench_entries(wuma_user, audience=Audience.STAFF)
    }
    # The count is the number of rows its link opens.
    client.force_login(health_user)
    page = client.get(entries["registry.filings_awaiting_review"].url)
    assert len(page.context["cl"].result_list) == 1


def test_the_policy_file_loads_filing_deadlines_and_guided_fees_and_a_second_load_keeps_them():
    from luchen_care.core.policy import policy_rows_load

    superuser = UserFactory(is_superuser=True, role="", county=None)
    document = {
        "guided_fees": [
            {
                "effective_from": "2027-01-01",
                "full_day_min": "1500",
                "full_day_max": "2800",
                "half_day_min": "800",
                "half_day_max": "1600",
                "legal_source": "普惠托育服务价格指导意见",
            }
        ],
        "filing_deadlines": [
            {
                "effective_from": "2027-01-01",
                "receipt_working_days": 5,
                "notice_working_days": 15,
                "site_check_required": True,
                "legal_source": "托育服务法",
            }
        ],
    }
    first = policy_rows_load(county=None, document=document, actor=superuser)
    assert first == {"guided_fees": {"created": 1, "kept": 0}, "filing_deadlines": {"created": 1, "kept": 0}}
    again = policy_rows_load(county=None, document=document, actor=superuser)
    assert again == {"guided_fees": {"created": 0, "kept": 1}, "filing_deadlines": {"created": 0, "kept": 1}}
    assert FilingDeadlinePolicy.objects.get(effective_from=datetime.date(2027, 1, 1)).site_check_required


def test_a_stale_link_to_a_step_the_status_does_not_allow_shows_no_form(client, health_user):
    """A withdrawn filing's approve page: back to the filing with the reason, nothing to fill in."""
    from registry.services.filings import filing_withdraw

    institution = InstitutionFactory(status=InstitutionStatus.REGISTERED)
    filer = institution_user(institution)
    filing = filing_withdraw(filing=submitted_filing(institution, filer), actor=filer)
    client.force_login(health_user)
    response = client.get(reverse("admin:registry_filing_review", args=[filing.pk, "approve"]), follow=True)
    assert response.redirect_chain and 'id="filing-step-form"' not in response.content.decode()
    assert "不能" in response.content.decode()
