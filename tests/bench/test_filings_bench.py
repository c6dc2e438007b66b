"""The filings bench's fill (bench/filings.py): what it writes is what the queue and the portal read.

The bench itself is run by hand (bench/README.md); this checks its data on a few rows.
"""

import os
import sys
from pathlib import Path
from unittest import mock

import pytest

from luchen_care.workdays.calendar import working_day_deadline
from registry.models import Filing, FilingSection, InstitutionKind
from registry.models.filings import AWAITING_BUREAU
from tests.registry.factories import InstitutionFactory

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path[:0] = [str(BENCH)]
with mock.patch.dict(os.environ):  # the bench sets its own defaults when imported
    import filings as bench

pytestmark = pytest.mark.django_db


def test_one_filing_per_institution_with_its_sections_deadlines_and_the_queue_of_the_right_bureau():
    InstitutionFactory.create_batch(36)
    InstitutionFactory.create_batch(4, kind=InstitutionKind.NURSERY_CLASS)

    bench.fill_filings(40)

    filings = list(Filing.objects.select_related("deadline_rule"))
    assert len(filings) == 40 == len({f.institution_id for f in filings})
    assert FilingSection.objects.count() == 40 * len(bench.SECTIONS)
    assert {f.status for f in filings} == set(bench.STATUS_CYCLE)
    for filing in filings:
        if filing.clock_started_on:
            days = filing.deadline_rule.receipt_working_days
            assert filing.receipt_deadline == working_day_deadline(filing.clock_started_on, days).date
    health, institution_user = bench.bench_users()
    count, rows = bench.queue_page(health)
    expected = [f for f in filings if f.status in AWAITING_BUREAU and f.review_body == "health_bureau"]
    assert count == len(expected) == rows > 0  # nursery classes are the education bureau's
    assert Filing.objects.get(institution=institution_user.institution).status == "returned"


def test_each_size_has_a_bench_database_of_its_own():
    assert bench.database_url("postgres://postgres@127.0.0.1:5432/lucheng_bench_filings", 100) == (
        "postgres://postgres@127.0.0.1:5432/lucheng_bench_filings_100"
    )
