"""Demo filings (备案): one in every status, walked through the filing services as the institution and
the bureau would, with small real PDFs as materials, and a portal login for each institution.

Called by ``registry.demo.load_demo``. Every step is a service of ``registry.services.filings``;
nothing assigns a status. The services date what they do with ``timezone.now()``, so a step the
story places on an earlier day (opening, sections, submission, review, withdrawal, the on-site
check) is moved back afterwards by ``_Journey``: its recorded step gets that day, and a submission
moves the filing's clock to that day and recounts both deadlines with the services' own counting
function, on the working-day calendar (the history row says so). Decisions that issue documents
(return, rejection, approval) happen today, so the documents' dates and the steps agree.

Days are counted in working days back from the *anchor*: today, or the next working day when today
is not one. A filing submitted ``receipt_working_days`` before the anchor is due that day (today, on
a working day); one submitted earlier is overdue.

Idempotent: each story belongs to a portal login; a login that exists with a filing of its
institution is a story told, and a second run changes nothing.
"""

import datetime
import io
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from luchen_care.accounts.models import Role, User
from luchen_care.core.policy import policy_on
from luchen_care.documents.fonts import fonts_register
from luchen_care.regions.models import County
from luchen_care.workdays.calendar import Calendar

from .models import (
    ClassType,
    Filing,
    FilingDeadlinePolicy,
    FilingMaterial,
    FilingStatus,
    FilingTransition,
    GuidedFeePolicy,
    Institution,
    InstitutionKind,
    InstitutionStatus,
    SectionKey,
)
from .models.filings import AWAITING_BUREAU, MATERIALS_OF
from .models.registrations import PUSH_TIMEZONE
from .services import filings as services
from .services.filings import filing_deadlines_count

DEMO_COUNTY, SECOND_COUNTY = "330302", "330303"

GUIDED_FEES = {
    "effective_from": datetime.date(2024, 1, 1),
    "full_day_min": Decimal("1500"),
    "full_day_max": Decimal("2800"),
    "half_day_min": Decimal("800"),
    "half_day_max": Decimal("1600"),
    "legal_source": "鹿城区普惠托育服务价格指导意见（示范数据）",
    "note": "演示数据：普惠托育机构月收费指导区间，全日托1500–2800元，半日托800–1600元。",
}
SITE_CHECK_RULE = {
    "effective_from": datetime.date(2025, 1, 1),
    "receipt_working_days": 5,
    "notice_working_days": 15,
    "site_check_required": True,
    "legal_source": "龙湾区托育机构准入现场核查试点（示范数据）",
    "note": "演示数据：龙湾区试行备案前现场核查（托育服务法草案的准入许可），其他区县沿用默认规则、不核查。",
}

# Monthly fees within the guided range, per class type (full day, half day), and above it.
FAIR_FEES = {
    ClassType.INFANT: ("2700", "1400"),
    ClassType.TODDLER: ("2600", "1300"),
    ClassType.OLDER: ("2400", "1200"),
    ClassType.MIXED: ("2200", "1100"),
}
HIGH_FEES = {ClassType.INFANT: ("3600", ""), ClassType.TODDLER: ("3400", ""), ClassType.OLDER: ("3200", "")}
HIGH_FEES[ClassType.MIXED] = ("3100", "")


# --- materials ---------------------------------------------------------------------------------


def material_pdf(title: str, institution: str) -> bytes:
    """A one-page PDF standing for a scanned material: its title and the institution, in the vendored font."""
    regular, bold = fonts_register()
    out = io.BytesIO()
    page = canvas.Canvas(out, pagesize=A4, initialFontName=regular, initialFontSize=12)
    page.setTitle(f"{title}（示范材料）")
    page.setFont(bold, 18)
    page.drawString(72, 760, f"{title}")
    page.setFont(regular, 12)
    page.drawString(72, 730, institution)
    page.drawString(72, 706, "示范材料：演示数据生成，非真实证照。")
    page.showPage()
    page.save()
    return out.getvalue()


# --- section input, from the institution's own record ---------------------------------------------


def _fees_input(institution, fees):
    offered = {c.class_type for c in institution.classes.all()}
    data = {"includes": "保育、午餐及点心、活动材料", "meal_fee": ""}
    for class_type in offered:
        full_day, half_day = fees[ClassType(class_type)]
        data[f"{class_type}_full_day"] = full_day
        data[f"{class_type}_half_day"] = half_day
    return data


def section_input(institution, key, *, today, fees=FAIR_FEES):
    """What the institution types into section ``key`` (the portal's POST data), from its own record."""
    key = SectionKey(key)
    if key == SectionKey.BASIC:
        return {
            "contact_person": institution.legal_representative,
            "contact_phone": institution.contact_phone or "13805770000",
            "address": institution.address,
            "service_hours": "周一至周五 7:30–17:30",
        }
    if key == SectionKey.PREMISES:
        return {
            "tenure": "leased",
            "floor_area": "460",
            "outdoor_area": "150",
            "lease_start": (today - datetime.timedelta(days=400)).isoformat(),
            "lease_end": (today + datetime.timedelta(days=5 * 365)).isoformat(),
        }
    if key == SectionKey.CLASSES:
        data = {}
        for c in institution.classes.all():
            data[f"{c.class_type}_classes"] = str(c.class_count)
            data[f"{c.class_type}_places"] = str(c.capacity)
        return data
    if key == SectionKey.STAFF:
        places = institution.approved_places or 20
        caregivers = max(1, places // 7)
        return {
            "total": str(caregivers + 4),
            "caregivers": str(caregivers),
            "health_staff": "1",
            "security_staff": "1",
            "all_certified": "True",
        }
    if key == SectionKey.SAFETY:
        return {
            "hygiene_rating": "pass",
            "hygiene_report_on": (today - datetime.timedelta(days=90)).isoformat(),
            "fire_safety_passed": "True",
            "video_surveillance": "True",
            "emergency_plan": "True",
        }
    if key == SectionKey.FOOD:
        if institution.kind == InstitutionKind.FAMILY:
            return {"serves_meals": "False", "food_licence_number": ""}
        return {"serves_meals": "True", "food_licence_number": f"JY1330302{institution.credit_code[-7:]}"}
    if key == SectionKey.FEES:
        return _fees_input(institution, fees)
    if key == SectionKey.COMMITMENT:
        return {"signatory": institution.legal_representative, "signed_on": today.isoformat(), "agreed": "on"}
    raise ValueError(key)


# --- a filing's story, step by step, each on its day -------------------------------------------------


class _Journey:
    """One demo filing through the services, each step on a given day (see the module's docstring)."""

    def __init__(self, institution, filer, reviewer, today):
        self.institution, self.filer, self.reviewer, self.today = institution, filer, reviewer, today
        self.filing = None
        self.minute = 0

    def _moment(self, day):
        self.minute += 7
        start = datetime.datetime.combine(day, datetime.time(9, 0), tzinfo=PUSH_TIMEZONE)
        return start + datetime.timedelta(minutes=self.minute)

    def _dated(self, day, since):
        """Date the steps recorded after transition ``since`` on ``day`` (only a day before today)."""
        if day >= self.today:
            return None
        moment = self._moment(day)
        FilingTransition.objects.filter(filing=self.filing, pk__gt=since).update(recorded_at=moment)
        return moment

    def _last_step(self):
        return FilingTransition.objects.filter(filing=self.filing).order_by("-pk").values_list("pk", flat=True).first()

    def open(self, day):
        self.filing = services.filing_open(institution=self.institution, actor=self.filer)
        self._dated(day, 0)
        return self

    def fill(self, day, keys=None, *, fees=FAIR_FEES, complete=True, extra=None):
        """Upload each section's required materials and save it (complete, or as a draft)."""
        sections = [s for s in self.filing.sections.all() if keys is None or s.key in keys]
        for section in sections:
            if section.status == "accepted":
                continue
            data = {**section_input(self.institution, section.key, today=self.today, fees=fees), **(extra or {})}
            for purpose, required in MATERIALS_OF[SectionKey(section.key)]:
                if required and (section.key != SectionKey.FOOD or data.get("serves_meals") == "True"):
                    label = str(FilingMaterial(purpose).label)
                    services.filing_material_upload(
                        section=section,
                        actor=self.filer,
                        purpose=purpose,
                        upload=SimpleUploadedFile(
                            f"{section.key}.pdf", material_pdf(label, self.institution.name), "application/pdf"
                        ),
                    )
            services.filing_section_save(section=section, actor=self.filer, data=data, complete=complete)
        if day < self.today:
            moment = self._moment(day)
            self.filing.sections.filter(pk__in=[s.pk for s in sections]).update(modified_at=moment)
        return self

    def submit(self, day):
        since = self._last_step()
        self.filing = services.filing_submit(filing=self.filing, actor=self.filer)
        moment = self._dated(day, since)
        if moment is not None:
            # The clock starts on the day of submission: moved back with it, and both deadlines
            # recounted by the services' counting function on the working-day calendar.
            filing = self.filing
            filing.submitted_at, filing.clock_started_on = moment, day
            filing.receipt_deadline, filing.notice_deadline, filing.deadlines_provisional = filing_deadlines_count(
                filing
            )
            filing._change_reason = f"演示数据：提交日为 {day.isoformat()}，按工作日重新计算期限"[:100]
            filing.save(
                update_fields=[
                    "submitted_at",
                    "clock_started_on",
                    "receipt_deadline",
                    "notice_deadline",
                    "deadlines_provisional",
                ]
            )
        return self

    def bureau(self, day, service, **kwargs):
        since = self._last_step()
        self.filing = service(filing=self.filing, actor=self.reviewer, **kwargs)
        self._dated(day, since)
        return self

    def withdraw(self, day, comment):
        since = self._last_step()
        self.filing = services.filing_withdraw(filing=self.filing, actor=self.filer, comment=comment)
        self._dated(day, since)
        return self


# --- the stories -----------------------------------------------------------------------------------

RETURN_COMMENTS = {
    SectionKey.PREMISES: "租赁合同未附出租方产权证明，请补充上传并核对租赁起止日期。",
    SectionKey.FEES: "收费项目未列明餐费是否另收，请按班型分别填写全日托、半日托收费标准。",
}


def _story_draft(j, w):
    j.open(w(3)).fill(w(3), [SectionKey.BASIC, SectionKey.PREMISES]).fill(w(2), [SectionKey.CLASSES])
    j.fill(w(1), [SectionKey.FEES], complete=False)


def _story_submitted_overdue_above_range(j, w):
    j.open(w(11)).fill(w(10), fees=HIGH_FEES).submit(w(8))


def _story_under_review_due_today(j, w):
    j.open(w(7)).fill(w(6)).submit(w(j.receipt_days)).bureau(w(4), services.filing_review_start)


def _story_returned(j, w):
    j.open(w(9)).fill(w(8)).submit(w(7)).bureau(w(5), services.filing_review_start)
    j.bureau(j.today, services.filing_return, comments=dict(RETURN_COMMENTS))


def _story_resubmitted(j, w):
    j.open(w(12)).fill(w(11)).submit(w(10)).bureau(w(9), services.filing_review_start)
    j.bureau(j.today, services.filing_return, comments={SectionKey.FEES: RETURN_COMMENTS[SectionKey.FEES]})
    answer = {"meal_fee": "300", "includes": "保育、点心、活动材料；午餐另收餐费每月300元"}
    j.fill(j.today, [SectionKey.FEES], extra=answer).submit(j.today)


def _story_filed(j, w):
    j.open(w(10)).fill(w(9)).submit(w(6)).bureau(w(4), services.filing_review_start)
    j.bureau(j.today, services.filing_approve, comment="材料齐全，予以备案。")


def _story_rejected(j, w):
    j.open(w(10)).fill(w(9)).submit(w(7)).bureau(w(6), services.filing_review_start)
    j.bureau(
        j.today,
        services.filing_reject,
        reasons="经核实，该场所位于四层以上，不符合托育机构设置标准（试行）关于婴幼儿生活用房设置楼层的要求。",
    )


def _story_withdrawn(j, w):
    j.open(w(6)).fill(w(5)).submit(w(4)).withdraw(w(2), "场地调整，撤回后重新提交。")


def _story_nursery_class(j, w):
    j.open(w(5)).fill(w(4)).submit(w(2))


def _story_site_check(j, w):
    j.open(w(8)).fill(w(7)).submit(w(3)).bureau(w(2), services.filing_review_start)
    j.bureau(w(1), services.filing_site_check_start, comment="安排现场核查：场地、消防通道、食品留样。")


def _registered_first(candidates):
    return sorted(candidates, key=lambda i: (i.status != InstitutionStatus.REGISTERED, i.credit_code))


# (login, county, which institution, story, who reviews, the status it ends in)
STORIES = [
    ("inst_draft", DEMO_COUNTY, lambda i: i.status == InstitutionStatus.REGISTERED, _story_draft, "health"),
    (
        "inst_overdue",
        DEMO_COUNTY,
        lambda i: i.inclusive and i.kind != InstitutionKind.NURSERY_CLASS,
        _story_submitted_overdue_above_range,
        "health",
    ),
    (
        "inst_review",
        DEMO_COUNTY,
        lambda i: i.kind == InstitutionKind.STANDALONE,
        _story_under_review_due_today,
        "health",
    ),
    ("institution", DEMO_COUNTY, None, _story_returned, "health"),  # the chain's head office: the demo's login
    ("inst_resubmitted", DEMO_COUNTY, lambda i: i.kind == InstitutionKind.COMMUNITY, _story_resubmitted, "health"),
    ("inst_filed", DEMO_COUNTY, lambda i: i.kind != InstitutionKind.NURSERY_CLASS, _story_filed, "health"),
    ("inst_rejected", DEMO_COUNTY, lambda i: i.kind == InstitutionKind.EMPLOYER, _story_rejected, "health"),
    ("inst_withdrawn", DEMO_COUNTY, lambda i: i.kind == InstitutionKind.FAMILY, _story_withdrawn, "health"),
    (
        "inst_nursery",
        DEMO_COUNTY,
        lambda i: i.kind == InstitutionKind.NURSERY_CLASS and i.inclusive,
        _story_nursery_class,
        "education",
    ),
    ("inst_sitecheck", SECOND_COUNTY, lambda i: i.kind != InstitutionKind.NURSERY_CLASS, _story_site_check, "longwan"),
]
#: The order institutions are chosen in: the scarce registered ones go to the stories that need them.
PICK_ORDER = ["inst_filed", "inst_overdue", "inst_draft"]


def _policies():
    """Lucheng's guided fee range and Longwan's on-site check rule, dated demo rows (created once)."""
    lucheng, longwan = County.objects.get(code=DEMO_COUNTY), County.objects.get(code=SECOND_COUNTY)
    if not GuidedFeePolicy.objects.filter(county=lucheng, effective_from=GUIDED_FEES["effective_from"]).exists():
        row = GuidedFeePolicy(county=lucheng, **GUIDED_FEES)
        row.full_clean()
        row.save()
    if not FilingDeadlinePolicy.objects.filter(county=longwan, effective_from=SITE_CHECK_RULE["effective_from"]):
        row = FilingDeadlinePolicy(county=longwan, **SITE_CHECK_RULE)
        row.full_clean()
        row.save()


def _anchor_and_days_back(today):
    """The anchor (today, or the next working day) and ``back(n)``: the n-th working day before it."""
    calendar = Calendar(today.year - 1, today.year + 1)
    anchor = today
    while not calendar.is_working_day(anchor):
        anchor += datetime.timedelta(days=1)

    def back(n):
        day, counted = anchor, 0
        while counted < n:
            day -= datetime.timedelta(days=1)
            counted += calendar.is_working_day(day)
        return day

    return anchor, back


def _portal_user(username, institution, password_hash):
    user = User(
        username=username,
        first_name=institution.legal_representative,
        role=Role.INSTITUTION,
        institution=institution,
        institution_administrator=True,
        is_staff=False,
    )
    user.password = password_hash
    user.full_clean()
    user.save()
    return user


def load_demo_filings(*, password_hash) -> dict:
    """Tell each story of ``STORIES`` not told yet, and give each institution a portal login (an
    administrator of its institution, with the demo password's ``password_hash``); return how many
    filings and logins it made."""
    made = {"filings": 0, "users": 0}
    today = timezone.localdate()
    _policies()
    pending = []
    for username, county, fits, story, reviewer in STORIES:
        user = User.objects.filter(username=username).select_related("institution").first()
        if user is not None and Filing.objects.filter(institution=user.institution_id).exists():
            continue
        pending.append((username, county, fits, story, reviewer, user))
    if not pending:
        return made

    taken = set(User.objects.exclude(institution=None).values_list("institution_id", flat=True))
    taken |= set(Filing.objects.values_list("institution_id", flat=True))
    pool = [
        i
        for i in Institution.objects.filter(head_office=None, branches=None)
        .exclude(status=InstitutionStatus.CLOSED)
        .exclude(pk__in=taken)
        .select_related("street__county")
        .prefetch_related("classes")
        .order_by("credit_code")
        if i.street.county.code in (DEMO_COUNTY, SECOND_COUNTY)
    ]
    pending.sort(key=lambda p: PICK_ORDER.index(p[0]) if p[0] in PICK_ORDER else len(PICK_ORDER))
    anchor, back = _anchor_and_days_back(today)
    reviewers = {u.username: u for u in User.objects.filter(username__in=["health", "education", "longwan"])}
    for username, county, fits, story, reviewer, user in pending:
        if user is None and fits is not None:
            candidates = _registered_first(i for i in pool if i.street.county.code == county and fits(i))
            if not candidates:
                continue
            institution = candidates[0]
            pool.remove(institution)
            user = _portal_user(username, institution, password_hash)
            made["users"] += 1
        if user is None:
            continue
        institution = Institution.objects.select_related("street__county").get(pk=user.institution_id)
        journey = _Journey(institution, user, reviewers[reviewer], today)
        journey.receipt_days = policy_on(
            FilingDeadlinePolicy, anchor, institution.street.county_id
        ).receipt_working_days
        story(journey, back)
        made["filings"] += 1
    return made


def demo_filing_notes() -> list[str]:
    """The portal logins of the demo filings, with their institution and status."""
    rows = (
        Filing.objects.filter(institution__users__username__in=[s[0] for s in STORIES])
        .select_related("institution")
        .order_by("institution__users__username")
        .values_list("institution__users__username", "institution__name", "status", "receipt_deadline")
    )
    if not rows:
        return []
    lines = ["\n演示备案 / demo filings (portal logins, same password; reviewers: health, education, longwan)"]
    for username, name, status, due in rows:
        due_text = f"回执期限 {due:%Y-%m-%d}" if due and status in AWAITING_BUREAU else ""
        lines.append(f"  {username:<17} {str(FilingStatus(status).label):<8} {name} {due_text}".rstrip())
    return lines
