"""Registrations (登记): recording them and counting their push deadlines.

Every way in (the admin, ``POST /api/v1/registrations/``) calls ``registration_record``; the
Excel import (``registry.imports``) calls ``registrations_record_many``, which records what
``registration_record`` records, with bulk writes. Both validate with the one input declaration,
``registry.forms.registrations.RegistrationForm``. The nightly beat job calls
``registration_deadlines_recompute``.
"""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, Min, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from luchen_care.accounts.models import Authority
from luchen_care.workdays.calendar import Calendar, package_knows, working_day_deadline
from luchen_care.workdays.models import WorkdayOverride

from ..forms.registrations import (
    CORRECTION_FIELD,
    REGISTRATION_FIELDS,
    RegistrationForm,
    correction_reason_errors,
    registration_mismatches,
    registration_refusals,
)
from ..models import (
    Institution,
    InstitutionKind,
    InstitutionStatus,
    Ownership,
    PushStatus,
    Registration,
    RegistrationKind,
    RegistrationSource,
)
from ..permissions import can_correct_registration, can_record_registration
from .filings import filings_open_after_registration
from .institutions import institution_save, institution_update
from .push import registration_push_enqueue, registration_pushes_enqueue

__all__ = [
    "CORRECTION_FIELD",
    "REGISTRATION_FIELDS",
    "RegistrationRefused",
    "RegistrationRowRefused",
    "can_correct_registration",
    "registration_deadlines_recompute",
    "registration_record",
    "registration_validate",
    "registrations_record_many",
]

_RETRIES = 3
# Relations a bulk row holds as objects already read (the actor, the file's lookups): full_clean
# would read each again, once per row.
_KNOWN_RELATIONS = ["created_by", "modified_by"]


class RegistrationRefused(ValidationError):
    """A registration refused by the guard between authorities, found under the institution's
    row lock: final, unlike the lost race ``registration_record`` retries."""


class RegistrationRowRefused(ValidationError):
    """One of many registrations (``registrations_record_many``) refused; ``row`` says which."""

    def __init__(self, row, error):
        super().__init__(error.error_dict if hasattr(error, "error_dict") else error.messages)
        self.row = row


def registration_validate(*, actor, lookups=None, **fields) -> dict:
    """Check a registration's input with its one declaration (``RegistrationForm``); return it cleaned.

    Raises ``PermissionDenied`` if ``actor`` may not record registrations at all, and one
    ``ValidationError`` keyed by input field (``authority``, ``credit_code``, ...) listing
    every problem found. Writes nothing. ``lookups`` (default: a query each) is what the
    declaration reads; the import passes a whole file's, read once.
    """
    if not can_record_registration(actor):
        raise PermissionDenied(_("Only registration authorities and the health bureau may record registrations."))
    form = RegistrationForm(data=fields, actor=actor, lookups=lookups)
    if not form.is_valid():
        raise ValidationError(form.errors.as_data())
    return form.cleaned_data


def _registered_data(cleaned) -> dict:
    data = {name: cleaned[name] for name in REGISTRATION_FIELDS if name in cleaned and name != "registered_on"}
    data["registered_on"] = cleaned["registered_on"].isoformat()
    data["street_code"] = cleaned["street"].code
    return data


def _institution_registered(cleaned) -> dict:
    """The institution's fields as this registration registers them."""
    return {
        "name": cleaned["institution_name"],
        "street": cleaned["street"],
        "address": cleaned["address"],
        "legal_representative": cleaned["legal_representative"],
        "registration_authority": cleaned["authority"],
    }


def _new_institution(cleaned) -> Institution:
    """The institution a registration of an unknown credit code registers (unsaved)."""
    return Institution(
        credit_code=cleaned["credit_code"],
        kind=InstitutionKind.STANDALONE,
        ownership=Ownership.PUBLIC if cleaned["authority"] == Authority.ESTABLISHMENT_OFFICE else Ownership.PRIVATE,
        for_profit=cleaned["authority"] == Authority.MARKET_REGULATION,
        registered_on=cleaned["registered_on"],  # it starts registered, as every institution
        **_institution_registered(cleaned),
    )


def _institution_changes(institution, cleaned) -> dict:
    """What recording ``cleaned`` changes on an existing ``institution`` (empty: nothing)."""
    registered = _institution_registered(cleaned)
    if cleaned["kind"] == RegistrationKind.CHANGE:
        return {k: v for k, v in registered.items() if getattr(institution, k) != v}
    if institution.registration_authority != cleaned["authority"] and not institution.archived:
        # Unclaimed, or (past the guard) the bureau's correction: the institution moves to this authority.
        return {"registration_authority": cleaned["authority"]}
    return {}


def _guard(*, actor, cleaned, institution):
    """The guard between authorities, against ``institution`` as it is now (locked)."""
    mismatches = registration_mismatches(
        actor=actor, authority=cleaned["authority"], credit_code=cleaned["credit_code"], institution=institution
    )
    refused = registration_refusals(actor=actor, mismatches=mismatches, correction_reason=cleaned[CORRECTION_FIELD])
    if refused:
        raise RegistrationRefused({"credit_code": refused})


def _institution_for(*, actor, cleaned) -> Institution:
    """Match the institution by credit code, or register it; apply a change of registration to it.

    The guard between authorities is checked again under the institution's row lock, so a
    move committed since ``registration_validate`` is not overtaken. A correction reason is
    the history reason of what the registration does to the institution.
    """
    correction = cleaned[CORRECTION_FIELD]
    institution = Institution.objects.select_for_update().filter(credit_code=cleaned["credit_code"]).first()
    _guard(actor=actor, cleaned=cleaned, institution=institution)
    if institution is None:
        # institution_save rather than institution_create: it takes the history reason.
        return institution_save(institution=_new_institution(cleaned), actor=actor, authorized=True, reason=correction)
    changed = _institution_changes(institution, cleaned)
    if changed:
        reason = correction or (_("Change of registration") if cleaned["kind"] == RegistrationKind.CHANGE else "")
        institution = institution_update(
            institution=institution, actor=actor, authorized=True, reason=reason, **changed
        )
    return institution


def _new_registration(*, actor, source, cleaned, institution, calendar=None, bulk=False) -> Registration:
    """The registration ``cleaned`` records (unsaved, validated): its data as registered, its
    deadline counted under the push window in force on ``registered_on``, stamped by ``actor``.

    ``bulk``: one of many read together under lock (``registrations_record_many``): uniqueness
    and the existence of its institution and push window were read with them, not once per row.
    """
    rule = cleaned["push_rule"]
    deadline = working_day_deadline(cleaned["registered_on"], rule.working_days, calendar=calendar)
    registration = Registration(
        institution=institution,
        authority=cleaned["authority"],
        registration_number=cleaned["registration_number"],
        registered_on=cleaned["registered_on"],
        kind=cleaned["kind"],
        data=_registered_data(cleaned),
        source=source,
        push_deadline=deadline.date,
        push_deadline_provisional=deadline.provisional,
        push_rule=rule,
        push_status=PushStatus.PENDING,
        correction_reason=cleaned[CORRECTION_FIELD],
    )
    registration.stamp(actor)
    if bulk:
        registration.full_clean(exclude=_KNOWN_RELATIONS + ["institution", "push_rule"], validate_unique=False,
                                validate_constraints=False)  # fmt: skip
    else:
        registration.full_clean(validate_constraints=False)
    return registration


def _existing(authority, registration_number):
    return Registration.objects.filter(authority=authority, registration_number=registration_number).first()


@transaction.atomic
def registration_record(
    *,
    actor,
    source,
    authority=None,
    registration_number=None,
    registered_on=None,
    kind=None,
    credit_code=None,
    institution_name=None,
    street_code=None,
    address=None,
    legal_representative=None,
    correction_reason="",
) -> tuple[Registration, bool]:
    """Record a registration once; return ``(registration, created)``.

    The input is ``RegistrationForm``'s fields (missing ones are refused as required); it is
    validated with that declaration, so every way in gets the same rules and messages.

    What it changes in the world, in one transaction:
    - the institution is matched by credit code, or registered (status *registered*); a
      change of registration updates its registered name, street, address and legal
      representative (a history row names ``actor``); a deregistration needs a known
      institution and leaves it as it is: closing its filing is the bureau's step, after the
      children are placed safely;
    - the registration is saved with the data as registered and its push deadline, the
      ``working_days``-th working day after ``registered_on`` under the push window in
      force on that day (``push_window_on``; five under plan task 20), which is stored as
      ``push_rule`` (provisional if that year's calendar is not known yet);
    - its push to the health bureau is written to the outbox and enqueued on commit.

    The guard between authorities (``RegistrationForm``) holds on every way in: an
    authority cannot change, deregister or register anew an institution registered with
    another authority, nor use a code from another registering body. The health bureau can,
    with a ``correction_reason``: it is stored on the registration and is the history reason
    of the institution's update, and the institution moves to this registration's authority.

    A repeat of the same authority and registration number changes nothing and returns the
    stored record with ``created=False``; concurrent repeats are settled by the unique
    constraint. Raises ``PermissionDenied`` or a ``ValidationError`` keyed by input field.
    """
    # A repeat is answered with the stored record even if today's checks would now refuse
    # its data (say, the institution has closed since): it was valid when it was recorded.
    # A correction reason from an authority is refused even on a repeat: it is never its to give.
    number = "" if registration_number is None else str(registration_number).strip()
    reason = "" if correction_reason is None else str(correction_reason).strip()
    if (
        number
        and "\x00" not in number  # the form refuses it below; the database must never see it
        and authority in Authority.values
        and can_record_registration(actor, authority)
        and not correction_reason_errors(actor, reason)
    ):
        existing = _existing(authority, number)
        if existing is not None:
            return existing, False
    cleaned = registration_validate(
        actor=actor,
        authority=authority,
        registration_number=registration_number,
        registered_on=registered_on,
        kind=kind,
        credit_code=credit_code,
        institution_name=institution_name,
        street_code=street_code,
        address=address,
        legal_representative=legal_representative,
        correction_reason=correction_reason,
    )
    if source not in RegistrationSource.values:
        raise ValueError(f"unknown registration source {source!r}")
    for attempt in range(_RETRIES):
        existing = _existing(cleaned["authority"], cleaned["registration_number"])
        if existing is not None:
            return existing, False
        try:
            with transaction.atomic():  # a savepoint: a lost race rolls back only this attempt
                institution = _institution_for(actor=actor, cleaned=cleaned)
                registration = _new_registration(actor=actor, source=source, cleaned=cleaned, institution=institution)
                registration.save()
                registration_push_enqueue(registration=registration)
                # A change reopens the filed institution's filing; a deregistration opens its closure filing.
                filings_open_after_registration(registration=registration)
            return registration, True
        except RegistrationRefused:
            raise
        except IntegrityError:
            # Another transaction committed the same registration (or the same new
            # institution) first; the next attempt finds it.
            if attempt == _RETRIES - 1:
                raise
        except ValidationError as exc:
            # The same race seen one step earlier: the new institution's uniqueness check
            # found the credit code another transaction committed after our lookup.
            lost_race = "credit_code" in getattr(exc, "error_dict", {}) and (
                Institution.objects.filter(credit_code=cleaned["credit_code"]).exists()
            )
            if not lost_race or attempt == _RETRIES - 1:
                raise
    raise AssertionError("unreachable")


PROGRESS_EVERY = 250


def _recorded_meanwhile(rows):
    # Recorded by another request since the rows were read: nothing is applied; the next
    # upload of the same file finds those rows recorded.
    return RegistrationRowRefused(
        rows[0][0] if rows else 0,
        ValidationError(
            _(
                "Some of these registrations or institutions were recorded by someone else meanwhile; "
                "nothing was imported. Upload the file again."
            )
        ),
    )


@transaction.atomic
def registrations_record_many(*, actor, source, rows, progress=None) -> dict:
    """Record many registrations, each validated (``registration_validate``, with the file's
    lookups), in one transaction; return ``{"created": n, "existing": n}``.

    Each row is recorded as ``registration_record`` records it, and is indistinguishable from
    one recorded there: the same institution (registered, or changed with a history row), the
    same data as registered, deadline, push window, audit fields and history row naming
    ``actor``, the same outbox rows enqueued on commit. Only the writes are grouped:

    - the institutions of the file are locked and read in one query, and the guard between
      authorities is checked again against them (a move committed since the check is not overtaken);
    - a row whose authority and number are already recorded changes nothing (``existing``);
    - new institutions and registrations are inserted in bulk with their history rows; a row
      that changes an existing institution, or whose credit code another row of the file also
      registers, is recorded in file order through the single-registration path.

    ``rows`` is ``[(row number, cleaned data)]``. A row refused here raises
    ``RegistrationRowRefused`` (its ``row``), and the caller's transaction rolls everything back.
    ``progress(done)`` is called now and then.
    """
    if source not in RegistrationSource.values:
        raise ValueError(f"unknown registration source {source!r}")
    codes = {cleaned["credit_code"] for _number, cleaned in rows}
    institutions = {
        i.credit_code: i
        for i in Institution.objects.select_for_update(of=("self",)).filter(credit_code__in=codes).order_by("pk")
    }
    stored = set()
    keys = {(cleaned["authority"], cleaned["registration_number"]) for _number, cleaned in rows}
    for authority in {a for a, _n in keys}:
        numbers = [n for a, n in keys if a == authority]
        stored |= {
            (authority, n)
            for n in Registration.objects.filter(authority=authority, registration_number__in=numbers).values_list(
                "registration_number", flat=True
            )
        }
    fresh = [
        (number, cleaned)
        for number, cleaned in rows
        if (cleaned["authority"], cleaned["registration_number"]) not in stored
    ]
    per_code = {}
    for _number, cleaned in fresh:
        per_code[cleaned["credit_code"]] = per_code.get(cleaned["credit_code"], 0) + 1

    done = 0

    def advance(n=1):
        nonlocal done
        before, done = done, done + n
        if progress and (before // PROGRESS_EVERY != done // PROGRESS_EVERY or done == len(rows)):
            progress(done)

    advance(len(rows) - len(fresh))
    bulk, one_by_one = [], []
    for number, cleaned in fresh:
        institution = institutions.get(cleaned["credit_code"])
        try:
            _guard(actor=actor, cleaned=cleaned, institution=institution)
        except RegistrationRefused as refused:
            raise RegistrationRowRefused(number, refused) from refused
        simple = per_code[cleaned["credit_code"]] == 1 and (
            institution is None or not _institution_changes(institution, cleaned)
        )
        (bulk if simple else one_by_one).append((number, cleaned, institution))

    # New institutions, in bulk, as institution_save registers them.
    new = {}
    for number, cleaned, institution in bulk:
        if institution is None:
            created = _new_institution(cleaned)
            created.status = InstitutionStatus.REGISTERED
            created._change_reason = cleaned[CORRECTION_FIELD][:100] or None
            created.stamp(actor)
            try:
                # The street comes from the file's lookups, the credit code's absence from the lock above.
                created.full_clean(
                    exclude=[*_KNOWN_RELATIONS, "street"], validate_unique=False, validate_constraints=False
                )
            except ValidationError as exc:
                raise RegistrationRowRefused(number, exc) from exc
            new[cleaned["credit_code"]] = created
    if new:
        try:
            with transaction.atomic():
                bulk_create_with_history(list(new.values()), Institution, batch_size=500, default_user=actor)
        except IntegrityError as exc:
            raise _recorded_meanwhile(rows) from exc

    years = [cleaned["registered_on"].year for _number, cleaned in rows] or [timezone.localdate().year]
    calendar = Calendar(min(years), max(max(years), timezone.localdate().year) + 1)
    registrations = []
    for number, cleaned, institution in bulk:
        try:
            registrations.append(
                _new_registration(
                    actor=actor,
                    source=source,
                    cleaned=cleaned,
                    institution=institution or new[cleaned["credit_code"]],
                    calendar=calendar,
                    bulk=True,
                )
            )
        except ValidationError as exc:
            raise RegistrationRowRefused(number, exc) from exc
    try:
        with transaction.atomic():
            bulk_create_with_history(registrations, Registration, batch_size=500, default_user=actor)
    except IntegrityError as exc:
        raise _recorded_meanwhile(rows) from exc
    for start in range(0, len(registrations), PROGRESS_EVERY):
        chunk = registrations[start : start + PROGRESS_EVERY]
        registration_pushes_enqueue(registrations=chunk)
        advance(len(chunk))

    # The rows that change an institution, or share one with another row, in file order.
    created = len(registrations)
    existing = len(rows) - len(fresh)
    for number, cleaned, _institution in sorted(one_by_one, key=lambda item: item[0]):
        try:
            registration, was_created = registration_record(
                actor=actor,
                source=source,
                **{name: cleaned.get(name) for name in (*REGISTRATION_FIELDS, CORRECTION_FIELD)},
            )
        except ValidationError as exc:
            raise RegistrationRowRefused(number, exc) from exc
        created, existing = created + was_created, existing + (not was_created)
        advance()
    return {"created": created, "existing": existing}


def _other_fields(names):
    return [f.name for f in Registration._meta.concrete_fields if f.name not in names]


def _windows_touching(days):
    """Registrations whose counting window [registered_on, push_deadline] may hold one of ``days``.

    A day in a year the package does not cover also changes whether that year is known (its
    first or last override row), so every window reaching into such a year is included.
    """
    condition = Q(pk__in=[])
    for day in days:
        condition |= Q(registered_on__lte=day, push_deadline__gte=day)
        if not package_knows(day.year):
            condition |= Q(
                registered_on__lte=datetime.date(day.year, 12, 31),
                push_deadline__gte=datetime.date(day.year, 1, 1),
            )
    return condition


@transaction.atomic
def registration_deadlines_recompute(*, today=None, days=None, cause="", actor=None) -> int:
    """Recount push deadlines with the calendar as now known; return how many changed.

    Without ``days`` (the nightly beat job), recounted: every provisional deadline (once a
    year's arrangement is known, from the chinesecalendar package or override rows, a
    deadline counted Monday to Friday is counted again), and every deadline whose counting
    window holds an override day (a typhoon closure entered after the registration moves
    its deadline).

    With ``days`` (an override row saved, moved or deleted: its old and new dates), recounted
    at once: every registration whose window [registered_on, push_deadline] holds one of
    them, so removing a closure brings its deadlines back, which the nightly job cannot see.

    Each deadline is recounted in the working days of the rule it was counted under
    (``push_rule``): the calendar's days move it, a later push window never does.

    A changed date or provisional flag is saved with a history row saying why (``cause``,
    and ``actor`` as the user, when given); anything else is left alone.
    """
    if days is None:
        override_in_window = WorkdayOverride.objects.filter(
            date__gt=OuterRef("registered_on"), date__lte=OuterRef("push_deadline")
        )
        candidates = Registration.objects.filter(Q(push_deadline_provisional=True) | Q(Exists(override_in_window)))
    else:
        candidates = Registration.objects.filter(_windows_touching(days))
    candidates = candidates.select_related("push_rule").select_for_update(of=("self",))
    first = candidates.aggregate(first=Min("registered_on"))["first"]
    if first is None:
        return 0
    calendar = Calendar(first.year, max(first.year, (today or timezone.localdate()).year) + 1)
    changed = 0
    for registration in candidates.order_by("pk"):
        deadline = working_day_deadline(
            registration.registered_on, registration.push_rule.working_days, calendar=calendar
        )
        if (deadline.date, deadline.provisional) == (
            registration.push_deadline,
            registration.push_deadline_provisional,
        ):
            continue
        old = registration.push_deadline
        registration.push_deadline = deadline.date
        registration.push_deadline_provisional = deadline.provisional
        dates = {"old": old.isoformat(), "new": deadline.date.isoformat()}
        if cause:
            reason = _("Push deadline %(old)s → %(new)s: %(cause)s") % {**dates, "cause": cause}
        else:
            reason = _("Push deadline recounted with the official working-day calendar: %(old)s → %(new)s") % dates
        registration._change_reason = reason[:100]  # the history's reason column holds 100 characters
        changed_fields = ["push_deadline", "push_deadline_provisional"]
        if actor is not None:
            registration.stamp(actor)
            changed_fields.append("modified_by")
        # Validate only what the job changes: one old row's other fields must not stop the night's run.
        registration.full_clean(exclude=_other_fields(changed_fields), validate_constraints=False)
        registration.save(update_fields=[*changed_fields, "modified_at"])
        changed += 1
    return changed
