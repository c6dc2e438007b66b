"""Writes to filings (备案): opening, sections and materials, the review's named transitions,
deadlines counted in working days, the filing number, and the documents and notices each
decision sends.

The state machine (every status change is one of these services, recorded as a
``FilingTransition``: who, when, from, to, comment)::

    draft ──submit──▶ submitted ──start_review──▶ under_review ──approve──▶ filed
      ▲                                 │  └─start_site_check─▶ site_check ─approve─▶ filed
      │                                 ├──return──▶ returned ──resubmit──▶ resubmitted ─▶ (review again)
      └─ (draft, submitted, under_review, site_check, returned, resubmitted) ──withdraw──▶ withdrawn
                                        └──reject──▶ rejected

Every face (portal, admin, API, demo) calls these; none assigns a status itself.
"""

import datetime
from decimal import Decimal, InvalidOperation

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, Min, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from luchen_care.accounts.roles import Role
from luchen_care.core.policy import PolicyNotInForce, policy_on
from luchen_care.files.models import StoredFile
from luchen_care.files.services import stored_file_save
from luchen_care.regions.models import County
from luchen_care.workdays.calendar import Calendar, working_day_deadline
from luchen_care.workdays.models import WorkdayOverride

from ..forms.filings import SECTION_FORMS, section_data
from ..models import (
    ClassType,
    Filing,
    FilingDeadlinePolicy,
    FilingKind,
    FilingMaterial,
    FilingSection,
    FilingStatus,
    FilingStep,
    FilingTransition,
    GuidedFeePolicy,
    Institution,
    InstitutionKind,
    InstitutionStatus,
    Ownership,
    RegistrationKind,
    SectionKey,
    SectionStatus,
)
from ..models.filings import AWAITING_BUREAU, AWAITING_INSTITUTION, COMMENT_MAX, FINAL, MATERIALS_OF, SECTIONS_OF
from ..models.registrations import PUSH_TIMEZONE
from ..permissions import can_file_for, can_review_filing
from .filing_documents import filing_approval_documents, filing_notice_send
from .institutions import institution_close, institution_mark_filed

S = FilingStatus


def _text(value, field) -> str:
    """A person's comment on a step, as kept: refused with a clear message when it cannot be."""
    value = (value or "").strip()
    if "\x00" in value:
        raise ValidationError({field: _("The text holds a null character; remove it and try again.")})
    if len(value) > COMMENT_MAX:
        raise ValidationError(
            {field: _("Keep it to %(max)d characters (it has %(count)d).") % {"max": COMMENT_MAX, "count": len(value)}}
        )
    return value


# --- who ---------------------------------------------------------------------------------------


def review_body_of(institution) -> str:
    """Nursery classes of kindergartens file with the education bureau; everything else with the health bureau."""
    return Role.EDUCATION_BUREAU if institution.kind == InstitutionKind.NURSERY_CLASS else Role.HEALTH_BUREAU


def _locked(filing) -> Filing:
    locked = (
        Filing.objects.select_for_update(of=("self",))
        .select_related("institution__street__county")
        .filter(pk=filing.pk)
        .first()
    )
    if locked is None:
        raise ValidationError(_("This filing does not exist."))
    return locked


def _require_filer(actor, filing_or_institution):
    institution = getattr(filing_or_institution, "institution", filing_or_institution)
    if not can_file_for(actor, institution):
        raise PermissionDenied(_("Only the institution itself files for it."))


def _require_reviewer(actor, filing):
    if not can_review_filing(actor, filing):
        raise PermissionDenied(_("This filing is reviewed by another bureau."))


def _record(filing, *, step, source, actor, comment=""):
    return FilingTransition.objects.create(
        filing=filing,
        name=step,
        source=source,
        target=filing.status,
        comment=comment.strip(),
        actor=actor if getattr(actor, "is_authenticated", False) else None,
    )


def _save(filing, actor, reason):
    filing._change_reason = reason[:100]
    filing.stamp(actor)
    filing.full_clean(validate_constraints=False)
    filing.save()


def _refuse_status(filing, allowed, message):
    if filing.status not in allowed:
        raise ValidationError({"status": message % {"status": S(filing.status).label}})


# --- opening -----------------------------------------------------------------------------------


def _changed_sections(registration, earlier) -> list[str]:
    """The sections a change registration reopens: always the basic information (name, legal
    representative), and the premises when the registered address is not the address filed."""
    data = (registration.data or {}) if registration else {}
    sections = [SectionKey.BASIC]
    filed_address = (earlier[SectionKey.BASIC].data or {}).get("address") if SectionKey.BASIC in earlier else None
    if data.get("address") and data.get("address") != filed_address:
        sections.append(SectionKey.PREMISES)
    return sections


def _materials_carry(*, source, target):
    """The current materials of ``source`` (a filed section) become the same files of ``target``, the
    section of a change filing that copies it: new rows, the same stored file, uploader and checksum."""
    subject_type = ContentType.objects.get_for_model(FilingSection)
    for stored in StoredFile.objects.filter(
        subject_type=subject_type, subject_id=source.pk, superseded_by__isnull=True
    ).order_by("pk"):
        StoredFile.objects.create(
            subject_type=subject_type,
            subject_id=target.pk,
            purpose=stored.purpose,
            original_name=stored.original_name,
            content_type=stored.content_type,
            size=stored.size,
            sha256=stored.sha256,
            file=stored.file.name,
            uploaded_by_id=stored.uploaded_by_id,
            uploaded_at=stored.uploaded_at,
        )


def _may_close(institution, registration) -> bool:
    """A closure filing follows a deregistration, or closes an institution that has filed (online or on paper)."""
    if registration is not None and registration.kind == RegistrationKind.DEREGISTRATION:
        return True
    return institution.status != InstitutionStatus.REGISTERED


@transaction.atomic
def filing_open(*, institution, actor, kind=FilingKind.INITIAL, registration=None, reopen=None) -> Filing:
    """Open a filing of ``kind`` for ``institution`` on behalf of ``actor`` (the institution, or the
    registry when a registration opens one); return it, in draft, with its sections.

    - ``initial``: every section not started. Refused when the institution has filed already.
    - ``change``: follows a change registration; the sections are copied from the institution's
      filed filing, accepted, except the ones reopened (``reopen``, else those the registration
      changes), which are drafts to update. The filing number is kept.
    - ``closure``: the placement of the children and the commitment.
    Refused while another filing of the institution is open. Routed at once to the bureau that
    reviews it (``review_body_of``). Records the ``open`` step.
    """
    institution = (
        Institution.objects.select_for_update(of=("self",)).select_related("street__county").get(pk=institution.pk)
    )
    reviewer = can_review_filing(actor, Filing(institution=institution, review_body=review_body_of(institution)))
    if actor is not None and not (can_file_for(actor, institution) or reviewer):
        raise PermissionDenied(_("You may not open a filing for this institution."))
    if institution.status == InstitutionStatus.CLOSED:
        raise ValidationError(_("This institution is closed; it files nothing more."))
    if Filing.objects.filter(institution=institution).exclude(status__in=FINAL).exists():
        raise ValidationError(_("This institution already has a filing in progress; finish or withdraw it first."))
    filed = (
        Filing.objects.filter(institution=institution, status=S.FILED)
        .exclude(kind=FilingKind.CLOSURE)
        .order_by("-decided_at")
        .first()
    )
    if kind == FilingKind.INITIAL and filed is not None:
        raise ValidationError(
            _("This institution has filed already (%(number)s); file a change instead.") % {"number": filed.number}
        )
    if kind == FilingKind.CHANGE and filed is None:
        raise ValidationError(_("Only a filed institution files a change; file first."))
    if kind == FilingKind.CLOSURE and not _may_close(institution, registration):
        raise ValidationError(
            _(
                "This institution has not filed: a closure filing follows its deregistration at the "
                "registration authority."
            )
        )
    unknown = [key for key in (reopen or ()) if key not in SECTIONS_OF[FilingKind(kind)]]
    if unknown or (reopen is not None and kind == FilingKind.CHANGE and not reopen):
        raise ValidationError({"reopen": _("Choose the sections that change.")})
    if registration is None and kind == FilingKind.INITIAL:
        # The registration it answers: the institution's latest new registration (its inbox entry closes on approval).
        registration = (
            institution.registrations.filter(kind=RegistrationKind.NEW).order_by("-registered_on", "-pk").first()
        )
    filing = Filing(
        institution=institution,
        kind=kind,
        registration=registration,
        previous=filed if kind != FilingKind.INITIAL else None,
        review_body=review_body_of(institution),
        number=filed.number if (filed is not None and kind != FilingKind.INITIAL) else "",
    )
    _save(filing, actor, str(FilingStep.OPEN.label))
    earlier = {s.key: s for s in filed.sections.all()} if (filed is not None and kind == FilingKind.CHANGE) else {}
    reopened = set(reopen or _changed_sections(registration, earlier))
    for position, key in enumerate(SECTIONS_OF[FilingKind(kind)]):
        section = FilingSection(filing=filing, key=key, position=position)
        if key in earlier:
            section.data = dict(earlier[key].data)
            section.status = SectionStatus.DRAFT if key in reopened else SectionStatus.ACCEPTED
        section._history_user = actor if getattr(actor, "is_authenticated", False) else None
        section.save()
        if key in earlier:
            _materials_carry(source=earlier[key], target=section)
    _record(filing, step=FilingStep.OPEN, source="", actor=actor)
    return filing


@transaction.atomic
def filings_open_after_registration(*, registration, actor=None) -> Filing | None:
    """A registration reached the platform: a change opens the change filing of a filed institution,
    a deregistration the closure filing; nothing for a new registration (the institution opens its
    filing in the portal) or while another filing is open. Returns the filing opened, if any."""
    institution = registration.institution
    if registration.kind == RegistrationKind.CHANGE:
        kind = FilingKind.CHANGE
        if not Filing.objects.filter(institution=institution, status=S.FILED).exists():
            return None
    elif registration.kind == RegistrationKind.DEREGISTRATION:
        kind = FilingKind.CLOSURE
    else:
        return None
    if institution.status == InstitutionStatus.CLOSED:
        return None
    open_filing = Filing.objects.filter(institution=institution).exclude(status__in=FINAL).first()
    if open_filing is not None:
        if kind == FilingKind.CHANGE or open_filing.kind == FilingKind.CLOSURE:
            # The filing in progress carries the change: the institution files what it registered.
            return None
        # A deregistration ends the filing in progress: what follows is the closure filing.
        open_filing = _locked(open_filing)
        source = open_filing.status
        open_filing.status = S.WITHDRAWN
        reason = _("Withdrawn by the deregistration %(number)s") % {"number": registration.registration_number}
        _save(open_filing, None, reason)
        _record(open_filing, step=FilingStep.WITHDRAW, source=source, actor=None, comment=reason)
    return filing_open(institution=institution, actor=None, kind=kind, registration=registration)


# --- sections and materials ---------------------------------------------------------------------


def section_materials_required(section) -> list[str]:
    """The material purposes ``section`` must have before it is complete (food's licence only when meals are served)."""
    required = [purpose for purpose, needed in MATERIALS_OF[SectionKey(section.key)] if needed]
    if section.key == SectionKey.FOOD and not (section.data or {}).get("serves_meals"):
        required = []
    return required


def section_materials_missing(section, files=None) -> list[str]:
    """The required purposes ``section`` has no current file for (``files``: its current StoredFiles, if loaded)."""
    if files is None:
        files = StoredFile.objects.filter(
            subject_type=ContentType.objects.get_for_model(FilingSection),
            subject_id=section.pk,
            superseded_by__isnull=True,
        )
    have = {f.purpose for f in files}
    return [purpose for purpose in section_materials_required(section) if purpose not in have]


def _editable_section(section, actor) -> FilingSection:
    # The filing first, then its section: the order the review steps lock them in.
    filing = Filing.objects.select_for_update(of=("self",)).select_related("institution").get(pk=section.filing_id)
    section = FilingSection.objects.select_for_update().get(pk=section.pk)
    section.filing = filing
    _require_filer(actor, filing)
    if filing.status not in AWAITING_INSTITUTION:
        raise ValidationError(
            {
                "status": _("This filing is “%(status)s”: it can be changed only as a draft or when returned.")
                % {"status": S(filing.status).label}
            }
        )
    if section.status == SectionStatus.ACCEPTED:
        raise ValidationError({"status": _("The bureau accepted this section; it cannot be changed now.")})
    return section


def _draft_text(raw, field):
    """What a draft keeps of a value its field refuses: the text as typed, without null characters and
    no longer than the field takes (a number field: 40 characters), so that nothing typed is lost
    and nothing unbounded is stored."""
    if raw is None or isinstance(raw, bool):
        return raw
    text = str(raw).replace("\x00", "")
    return text[: getattr(field, "max_length", None) or 40]


@transaction.atomic
def filing_section_save(*, section, actor, data, complete=True) -> FilingSection:
    """Save what the institution entered in ``section`` through its section form (``SECTION_FORMS``).

    ``complete=True`` (the institution marks it done): the form must validate and every required
    material must be uploaded; the section becomes *complete*. ``complete=False`` saves a *draft*
    of whatever validates field by field (nothing typed is lost), and never refuses for missing
    materials. Refused with field-keyed errors, and nothing saved, when the filing is not a
    draft or returned, the section was accepted, or (complete) the form or materials fall short.
    A history row names ``actor``.
    """
    section = _editable_section(section, actor)
    form = SECTION_FORMS[SectionKey(section.key)](data=data)
    if form.is_valid():
        cleaned = section_data(form.cleaned_data)
    elif complete:
        raise ValidationError({name: list(messages) for name, messages in form.errors.items()})
    else:
        # A draft keeps the fields that are valid on their own, and the raw text of the others.
        cleaned = {name: section_data({name: value})[name] for name, value in getattr(form, "cleaned_data", {}).items()}
        for name, field in form.fields.items():
            if name not in cleaned and name in data:
                cleaned[name] = _draft_text(data.get(name), field)
    section.data = cleaned
    if complete:
        missing = section_materials_missing(section)
        if missing:
            raise ValidationError(
                {"materials": [_("Upload: %(material)s.") % {"material": FilingMaterial(p).label} for p in missing]}
            )
        section.status = SectionStatus.COMPLETE
    else:
        section.status = SectionStatus.DRAFT
    section.modified_at = timezone.now()
    section.modified_by = actor if getattr(actor, "is_authenticated", False) else None
    section._history_user = section.modified_by
    section.save()
    return section


@transaction.atomic
def filing_material_upload(*, section, actor, purpose, upload, replaces=None):
    """Keep ``upload`` as ``section``'s material of ``purpose`` (a ``StoredFile`` whose subject is the
    section); ``replaces``: its current file of that purpose, kept in the history.

    Only while the filing is a draft or returned and the section not accepted; the purpose must be
    one the section accepts; the file must be a sound PDF, JPEG or PNG (``validate_upload``).
    A complete section stays complete: the new file is one more of its materials.
    """
    section = _editable_section(section, actor)
    accepted = {p for p, _needed in MATERIALS_OF[SectionKey(section.key)]}
    if replaces is not None:
        purpose = replaces.purpose
    if purpose not in accepted:
        raise ValidationError({"purpose": _("This section does not take that material.")})
    stored = stored_file_save(actor=actor, subject=section, purpose=purpose, upload=upload, replaces=replaces)
    if section.status == SectionStatus.NOT_STARTED:
        section.status = SectionStatus.DRAFT
        section._history_user = actor
        section.save(update_fields=["status"])
    return stored


# --- fees --------------------------------------------------------------------------------------


def _money(value):
    try:
        return Decimal(str(value)) if value not in (None, "") else None
    except InvalidOperation:
        return None


def fees_above_range(fees: dict, rule) -> list[str]:
    """The fee fields of a fees section's ``data`` above ``rule``'s guided range (empty: none)."""
    above = []
    for class_type in ClassType:
        for period, ceiling in (("full_day", rule.full_day_max), ("half_day", rule.half_day_max)):
            name = f"{class_type.value}_{period}"
            amount = _money(fees.get(name))
            if amount is not None and amount > ceiling:
                above.append(name)
    return above


def _fee_check(filing, day):
    """Compare the fees with the guided range for a public or inclusive institution; sets ``fee_rule`` and the flag."""
    institution = filing.institution
    filing.fee_rule, filing.fee_above_guided = None, False
    if not (institution.inclusive or institution.ownership == Ownership.PUBLIC):
        return
    fees = next((s.data for s in filing.sections.all() if s.key == SectionKey.FEES), None)
    if fees is None:
        return
    try:
        rule = policy_on(GuidedFeePolicy, day, institution.street.county_id)
    except PolicyNotInForce:
        return
    filing.fee_rule = rule
    filing.fee_above_guided = bool(fees_above_range(fees, rule))


# --- deadlines ---------------------------------------------------------------------------------


def filing_deadlines_count(filing, calendar=None):
    """``(receipt, notice, provisional)``: the two deadlines of ``filing`` counted from ``clock_started_on``
    in its ``deadline_rule``'s working days (the day itself does not count). Writes nothing."""
    rule = filing.deadline_rule
    receipt = working_day_deadline(filing.clock_started_on, rule.receipt_working_days, calendar=calendar)
    notice = working_day_deadline(filing.clock_started_on, rule.notice_working_days, calendar=calendar)
    return receipt.date, notice.date, receipt.provisional or notice.provisional


def _start_clocks(filing, now):
    day = now.astimezone(PUSH_TIMEZONE).date()
    county_id = filing.institution.street.county_id
    try:
        rule = policy_on(FilingDeadlinePolicy, day, county_id)
    except PolicyNotInForce as missing:
        raise ValidationError(missing.message) from missing
    filing.submitted_at = now
    filing.clock_started_on = day
    filing.deadline_rule = rule
    filing.site_check_required = rule.site_check_required
    filing.receipt_deadline, filing.notice_deadline, filing.deadlines_provisional = filing_deadlines_count(filing)


def _windows_touching(days):
    condition = Q()
    for day in days:
        condition |= Q(clock_started_on__lt=day, notice_deadline__gte=day)
        condition |= Q(clock_started_on__year=day.year, deadlines_provisional=True)
    return condition


@transaction.atomic
def filing_deadlines_recompute(*, days=None, cause="", actor=None, today=None) -> int:
    """Recount the deadlines of filings waiting for the bureau with the calendar as now known; return
    how many changed. With ``days`` (a working-day override saved, moved or deleted), those whose
    window holds one of them; without, the provisional ones and those whose window holds any override
    (the nightly job). Each keeps the rule it was counted under; a history row says why."""
    candidates = Filing.objects.awaiting_bureau().filter(clock_started_on__isnull=False)
    if days is None:
        in_window = WorkdayOverride.objects.filter(
            date__gt=OuterRef("clock_started_on"), date__lte=OuterRef("notice_deadline")
        )
        candidates = candidates.filter(Q(deadlines_provisional=True) | Q(Exists(in_window)))
    else:
        if not days:
            return 0
        candidates = candidates.filter(_windows_touching(days))
    candidates = candidates.select_related("deadline_rule").select_for_update(of=("self",))
    first = candidates.aggregate(first=Min("clock_started_on"))["first"]
    if first is None:
        return 0
    calendar = Calendar(first.year, max(first.year, (today or timezone.localdate()).year) + 1)
    changed = 0
    for filing in candidates.order_by("pk"):
        receipt, notice, provisional = filing_deadlines_count(filing, calendar)
        if (receipt, notice, provisional) == (
            filing.receipt_deadline,
            filing.notice_deadline,
            filing.deadlines_provisional,
        ):
            continue
        old = filing.receipt_deadline
        filing.receipt_deadline, filing.notice_deadline, filing.deadlines_provisional = receipt, notice, provisional
        reason = _("Filing deadlines recounted (receipt %(old)s → %(new)s): %(cause)s") % {
            "old": old.isoformat(),
            "new": receipt.isoformat(),
            "cause": cause or _("the official working-day calendar"),
        }
        filing._change_reason = reason[:100]
        fields = ["receipt_deadline", "notice_deadline", "deadlines_provisional", "modified_at"]
        if actor is not None:
            filing.stamp(actor)
            fields.append("modified_by")
        filing.save(update_fields=fields)
        changed += 1
    return changed


# --- the institution's steps ---------------------------------------------------------------------


def filing_missing(filing) -> list[str]:
    """What stops ``filing`` from being submitted, for people: each section not complete or accepted."""
    return [
        _("“%(section)s” is %(status)s.") % {"section": s.get_key_display(), "status": s.get_status_display()}
        for s in filing.sections.all()
        if s.status not in (SectionStatus.COMPLETE, SectionStatus.ACCEPTED)
    ]


@transaction.atomic
def filing_submit(*, filing, actor) -> Filing:
    """Submit ``filing`` (draft → submitted; returned → resubmitted) on behalf of the institution.

    Refused, and nothing changed, unless every section is complete (or accepted): the refusal
    names each section still missing. Starts both legal clocks from today (Asia/Shanghai; the
    day itself does not count) under the deadline rule in force (a resubmission starts them again),
    decides whether an on-site check is required, compares a public or inclusive institution's
    fees with the guided range, and records the step. The reviewing bureau's queue shows it.
    """
    filing = _locked(filing)
    _require_filer(actor, filing)
    _refuse_status(filing, AWAITING_INSTITUTION, _("A “%(status)s” filing cannot be submitted."))
    missing = filing_missing(filing)
    if missing:
        raise ValidationError({"sections": [_("Complete every section before submitting."), *missing]})
    source = filing.status
    step = FilingStep.SUBMIT if source == S.DRAFT else FilingStep.RESUBMIT
    now = timezone.now()
    _start_clocks(filing, now)
    _fee_check(filing, filing.clock_started_on)
    filing.status = S.SUBMITTED if source == S.DRAFT else S.RESUBMITTED
    _save(filing, actor, str(step.label))
    _record(filing, step=step, source=source, actor=actor)
    return filing


@transaction.atomic
def filing_withdraw(*, filing, actor, comment="") -> Filing:
    """Withdraw ``filing`` before a decision (the institution's own step).

    It stays, read-only, with its steps; the institution may open a new one."""
    filing = _locked(filing)
    _require_filer(actor, filing)
    _refuse_status(filing, (*AWAITING_INSTITUTION, *AWAITING_BUREAU), _("A “%(status)s” filing cannot be withdrawn."))
    comment = _text(comment, "comment")
    source = filing.status
    filing.status = S.WITHDRAWN
    _save(filing, actor, str(FilingStep.WITHDRAW.label))
    _record(filing, step=FilingStep.WITHDRAW, source=source, actor=actor, comment=comment)
    return filing


# --- the bureau's steps --------------------------------------------------------------------------


@transaction.atomic
def filing_review_start(*, filing, actor) -> Filing:
    """The reviewing bureau takes up a submitted or resubmitted filing (→ under review). The clocks run on."""
    filing = _locked(filing)
    _require_reviewer(actor, filing)
    _refuse_status(
        filing, (S.SUBMITTED, S.RESUBMITTED), _("Only a submitted filing can be taken up; this one is “%(status)s”.")
    )
    source = filing.status
    filing.status = S.UNDER_REVIEW
    _save(filing, actor, str(FilingStep.START_REVIEW.label))
    _record(filing, step=FilingStep.START_REVIEW, source=source, actor=actor)
    return filing


@transaction.atomic
def filing_site_check_start(*, filing, actor, comment="") -> Filing:
    """Record that the on-site check (现场核查) began (under review → on-site check); only where the
    deadline rule the filing was submitted under requires one."""
    filing = _locked(filing)
    _require_reviewer(actor, filing)
    if not filing.site_check_required:
        raise ValidationError({"status": _("No on-site check is required for this filing.")})
    _refuse_status(
        filing, (S.UNDER_REVIEW,), _("An on-site check starts on a filing under review; this one is “%(status)s”.")
    )
    comment = _text(comment, "comment")
    filing.status = S.SITE_CHECK
    _save(filing, actor, str(FilingStep.START_SITE_CHECK.label))
    _record(filing, step=FilingStep.START_SITE_CHECK, source=S.UNDER_REVIEW, actor=actor, comment=comment)
    return filing


def _decidable(filing, message):
    _refuse_status(filing, (S.UNDER_REVIEW, S.SITE_CHECK), message)


@transaction.atomic
def filing_return(*, filing, actor, comments: dict) -> Filing:
    """Return ``filing`` to the institution with a comment on each section named in ``comments``
    (``{section key: comment}``): those sections become *returned*, the others *accepted*; the
    filing becomes *returned*. The institution answers and resubmits, which starts the clocks again.

    Sends the notice with the reasons (a document and a portal notice). Refused unless under
    review (or on-site check), and without at least one section with a comment.
    """
    filing = _locked(filing)
    _require_reviewer(actor, filing)
    _decidable(filing, _("Only a filing under review can be returned; this one is “%(status)s”."))
    comments = {key: _text(text, "comments") for key, text in (comments or {}).items() if (text or "").strip()}
    sections = {s.key: s for s in filing.sections.select_for_update()}
    unknown = [key for key in comments if key not in sections]
    if unknown:
        raise ValidationError({"comments": _("This filing has no section “%(key)s”.") % {"key": unknown[0]}})
    if not comments:
        raise ValidationError({"comments": _("Say, on at least one section, what the institution must change.")})
    for key, section in sections.items():
        section.review_comment = comments.get(key, "")
        section.status = SectionStatus.RETURNED if key in comments else SectionStatus.ACCEPTED
        section._history_user = actor
        section.save(update_fields=["review_comment", "status"])
    source = filing.status
    filing.status = S.RETURNED
    _save(filing, actor, str(FilingStep.RETURN.label))
    summary = "\n".join(f"{sections[key].get_key_display()}: {text}" for key, text in comments.items())
    transition = _record(filing, step=FilingStep.RETURN, source=source, actor=actor, comment=summary)
    filing_notice_send(filing=filing, transition=transition, actor=actor)
    return filing


@transaction.atomic
def filing_reject(*, filing, actor, reasons: str) -> Filing:
    """Reject ``filing`` with ``reasons`` (required): it is final; the institution may open a new one.
    Sends the notice with the reasons (a document and a portal notice)."""
    filing = _locked(filing)
    _require_reviewer(actor, filing)
    _decidable(filing, _("Only a filing under review can be rejected; this one is “%(status)s”."))
    reasons = _text(reasons, "reasons")
    if not reasons:
        raise ValidationError({"reasons": _("Give the reasons for the rejection.")})
    source = filing.status
    filing.status = S.REJECTED
    filing.decided_at, filing.decided_by, filing.decision_comment = timezone.now(), actor, reasons
    _save(filing, actor, str(FilingStep.REJECT.label))
    transition = _record(filing, step=FilingStep.REJECT, source=source, actor=actor, comment=reasons)
    filing_notice_send(filing=filing, transition=transition, actor=actor)
    return filing


def filing_number_next(*, county, year) -> str:
    """The next filing number of ``county`` in ``year``: ``YYYY-CCCCCC-NNNN`` (year, six-digit division
    code, four-digit sequence from 0001). The caller holds the county's row lock."""
    prefix = f"{year}-{county.code}-"
    numbers = Filing.objects.filter(number__startswith=prefix, kind=FilingKind.INITIAL).values_list("number", flat=True)
    last = max((int(n.rsplit("-", 1)[1]) for n in numbers if n.rsplit("-", 1)[1].isdigit()), default=0)
    return f"{prefix}{last + 1:04d}"


@transaction.atomic
def filing_approve(*, filing, actor, comment="") -> Filing:
    """Approve ``filing`` (under review, or on-site check where one is required → filed).

    What changes in the world, in one transaction:
    - an initial filing gets the next filing number of its county and year, and the institution
      becomes *filed* through its lifecycle (``institution_mark_filed``, the number as its document);
    - a change filing keeps the number; a closure filing closes (archives) the institution
      (``institution_close``), with where the children went as the reason;
    - every section is accepted; the registration it follows leaves the "awaiting filing" list;
    - the filing receipt (备案回执) and the notice of basic conditions (基本条件告知书) are issued,
      and the institution is told in its portal.
    Refused, and nothing changed, unless the filing is under review (or, when an on-site check is
    required, on-site check).
    """
    filing = _locked(filing)
    _require_reviewer(actor, filing)
    allowed = (S.SITE_CHECK,) if filing.site_check_required else (S.UNDER_REVIEW,)
    if filing.site_check_required and filing.status == S.UNDER_REVIEW:
        raise ValidationError({"status": _("This filing needs its on-site check before it is approved.")})
    _refuse_status(filing, allowed, _("Only a filing under review can be approved; this one is “%(status)s”."))
    comment = _text(comment, "comment")
    if filing.institution.status == InstitutionStatus.CLOSED:
        raise ValidationError({"status": _("The institution has closed since; its filing can only be rejected.")})
    today = timezone.localdate()
    institution = filing.institution
    if filing.kind == FilingKind.INITIAL:
        County.objects.select_for_update().get(pk=institution.street.county_id)
        filing.number = filing_number_next(county=institution.street.county, year=today.year)
    source = filing.status
    filing.status = S.FILED
    filing.decided_at, filing.decided_by, filing.decision_comment = timezone.now(), actor, comment
    for section in filing.sections.select_for_update():
        section.status = SectionStatus.ACCEPTED
        section.review_comment = ""
        section._history_user = actor
        section.save(update_fields=["status", "review_comment"])
    _save(filing, actor, str(FilingStep.APPROVE.label))
    transition = _record(filing, step=FilingStep.APPROVE, source=source, actor=actor, comment=comment)
    reason = _("Filing %(number)s approved") % {"number": filing.number}
    if filing.kind == FilingKind.INITIAL and institution.status == InstitutionStatus.REGISTERED:
        institution_mark_filed(
            institution=institution, actor=actor, effective_on=today, document_reference=filing.number, reason=reason
        )
    elif filing.kind == FilingKind.CLOSURE:
        placement = next((s.data for s in filing.sections.all() if s.key == SectionKey.PLACEMENT), {})
        institution_close(
            institution=institution,
            actor=actor,
            effective_on=_closing_day(institution, placement.get("closing_on"), today),
            reason=_("Closure filing approved. %(count)s children placed with: %(where)s")
            % {"count": placement.get("children_count", 0), "where": placement.get("receiving_institutions") or "—"},
        )
    filing_approval_documents(filing=filing, transition=transition, actor=actor)
    return filing


def _closing_day(institution, closing_on, today):
    """The day the closure takes effect: the closing day given, within the lifecycle's bounds."""
    day = datetime.date.fromisoformat(closing_on) if closing_on else today
    started = institution.status_since
    return max(min(day, today), started) if started else min(day, today)
