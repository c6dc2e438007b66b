"""Filings for tests, built through the filing services: sections filled with valid data, materials
uploaded as small real PDFs, submitted and reviewed as the institution and the bureau would."""

import datetime

from django.utils import timezone

from luchen_care.accounts.models import Role
from registry.models import FilingKind, SectionKey
from registry.models.filings import MATERIALS_OF
from registry.services import filings as services
from tests.accounts.factories import UserFactory
from tests.files.samples import pdf_bytes, upload


def section_input(key, **overrides):
    """Valid input of each section's form (the portal's POST data)."""
    today = timezone.localdate()
    data = {
        SectionKey.BASIC: {
            "contact_person": "李老师",
            "contact_phone": "13800000001",
            "address": "温州市鹿城区解放街1号",
            "service_hours": "周一至周五 7:30–17:30",
        },
        SectionKey.PREMISES: {
            "tenure": "leased",
            "floor_area": "420.5",
            "outdoor_area": "120",
            "lease_start": (today - datetime.timedelta(days=30)).isoformat(),
            "lease_end": (today + datetime.timedelta(days=4 * 365)).isoformat(),
        },
        SectionKey.CLASSES: {
            "toddler_classes": "2",
            "toddler_places": "30",
            "older_classes": "1",
            "older_places": "20",
        },
        SectionKey.STAFF: {
            "total": "12",
            "caregivers": "8",
            "health_staff": "1",
            "security_staff": "1",
            "all_certified": "True",
        },
        SectionKey.SAFETY: {
            "hygiene_rating": "pass",
            "hygiene_report_on": (today - datetime.timedelta(days=60)).isoformat(),
            "fire_safety_passed": "True",
            "video_surveillance": "True",
            "emergency_plan": "True",
        },
        SectionKey.FOOD: {"serves_meals": "True", "food_licence_number": "JY13303020012345"},
        SectionKey.FEES: {"toddler_full_day": "3200", "older_full_day": "3000", "includes": "保育、餐点、活动材料"},
        SectionKey.COMMITMENT: {"signatory": "王晓燕", "signed_on": today.isoformat(), "agreed": "on"},
        SectionKey.PLACEMENT: {
            "children_count": "12",
            "receiving_institutions": "鹿城区示范托育园 12人",
            "families_informed": "True",
            "closing_on": today.isoformat(),
        },
    }[SectionKey(key)]
    return {**data, **overrides}


def institution_user(institution, **kwargs):
    return UserFactory(role=Role.INSTITUTION, institution=institution, is_staff=False, **kwargs)


def fill_section(section, actor, **overrides):
    """Upload the section's required materials and save it complete."""
    for purpose, required in MATERIALS_OF[SectionKey(section.key)]:
        if required:
            services.filing_material_upload(
                section=section,
                actor=actor,
                purpose=purpose,
                upload=upload(f"{section.key}.pdf", pdf_bytes(section.key)),
            )
    return services.filing_section_save(section=section, actor=actor, data=section_input(section.key, **overrides))


def complete_filing(institution, actor, *, kind=FilingKind.INITIAL, **fees):
    """A filing of ``institution`` with every section complete (not submitted)."""
    filing = services.filing_open(institution=institution, actor=actor, kind=kind)
    for section in filing.sections.all():
        if section.status != "accepted":
            fill_section(section, actor, **(fees if section.key == SectionKey.FEES else {}))
    return filing


def submitted_filing(institution, actor, **kwargs):
    filing = complete_filing(institution, actor, **kwargs)
    return services.filing_submit(filing=filing, actor=actor)


def filed_filing(institution, actor, reviewer, **kwargs):
    filing = submitted_filing(institution, actor, **kwargs)
    filing = services.filing_review_start(filing=filing, actor=reviewer)
    return services.filing_approve(filing=filing, actor=reviewer)
