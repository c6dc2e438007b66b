"""Registrations (登记): recording them and counting their push deadlines.

Every way in (the admin, ``POST /api/v1/registrations/``, the Excel import) calls
``registration_record``; the nightly beat job calls ``registration_deadlines_recompute``.
"""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, Min, OuterRef, Q
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from luchen_care.accounts.models import Authority
from luchen_care.core.policy import PolicyNotInForce
from luchen_care.workdays.calendar import Calendar, package_knows, working_day_deadline
from luchen_care.workdays.models import WorkdayOverride

from ..models import (
    Institution,
    InstitutionKind,
    Ownership,
    PushStatus,
    Registration,
    RegistrationKind,
    RegistrationSource,
    Street,
)
from ..permissions import can_record_registration
from ..selectors.policies import push_window_on
from ..validators import normalize_credit_code, validate_credit_code
from .institutions import institution_save, institution_update
from .push import registration_push_enqueue

# The input of a registration, in the order the API, the admin form and the Excel template use.
REGISTRATION_FIELDS = (
    "authority",
    "registration_number",
    "registered_on",
    "kind",
    "credit_code",
    "institution_name",
    "street_code",
    "address",
    "legal_representative",
)

# Given by the health bureau alone, to record a registration that does not match (see
# ``_authority_errors``); kept on the registration, not in the data as registered.
CORRECTION_FIELD = "correction_reason"
# GB 32100-2015: the first character of a credit code names the body that registered it.
AUTHORITY_CODE_PREFIX = {
    Authority.ESTABLISHMENT_OFFICE: "1",
    Authority.CIVIL_AFFAIRS: "5",
    Authority.MARKET_REGULATION: "9",
}
# Registration and filing of childcare institutions (托育机构登记和备案办法) dates from 2019: an
# earlier date is a typing error, and would count its deadline in a calendar nobody publishes.
EARLIEST_REGISTERED_ON = datetime.date(2019, 1, 1)
_MAX_LENGTH = {
    "registration_number": 64,
    "institution_name": 200,
    "address": 255,
    "legal_representative": 50,
    CORRECTION_FIELD: 255,
}
_RETRIES = 3


def _as_date(value):
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, str):
        try:
            return parse_date(value.strip())
        except ValueError:
            return None
    return None


class RegistrationRefused(ValidationError):
    """A registration refused by the guard between authorities, found under the institution's
    row lock: final, unlike the lost race ``registration_record`` retries."""


def can_correct_registration(user) -> bool:
    """The health bureau (and superusers) may record a registration that does not match, with a reason."""
    return bool(user and user.is_authenticated and user.sees_everything)


def _correction_reason_errors(actor, reason) -> list:
    if reason and not can_correct_registration(actor):
        return [
            _(
                "Only the health bureau may give a correction reason. A registration authority records "
                "registrations only of institutions registered with it; leave this field empty."
            )
        ]
    return []


def _mismatches(*, actor, authority, credit_code, institution) -> list:
    """The guard between registration authorities: what does not match, as messages for ``credit_code``.

    - The code's first character must be the registering body of ``authority`` (GB 32100-2015).
    - An institution registered with another authority is not that authority's to change,
      deregister or register anew: otherwise one authority could rewrite another's institution
      and move it into its own scope. An institution registered with no authority yet (entered
      by the bureau) is claimed by the first registration whose code fits.
    - The health bureau may record either mismatch with a correction reason
      (``_refusals``); an authority never can. Each message, worded for ``actor``, says
      which case it is and what to do.
    """
    errors = []
    correcting = can_correct_registration(actor)
    prefix = AUTHORITY_CODE_PREFIX.get(authority)
    if prefix and credit_code[0] != prefix:
        values = {"authority": Authority(authority).label, "prefix": prefix, "first": credit_code[0]}
        if correcting:
            message = _(
                "A credit code registered by the %(authority)s begins with %(prefix)s (GB 32100-2015); this one "
                "begins with %(first)s. Check the code and the registration authority; to record it as it is, "
                "give a correction reason."
            )
        else:
            message = _(
                "A credit code registered by the %(authority)s begins with %(prefix)s (GB 32100-2015); this one "
                "begins with %(first)s. Check the code and the registration authority."
            )
        errors.append(message % values)
    other = institution.registration_authority if institution is not None else ""
    if other and other != authority:
        if correcting:
            errors.append(
                _(
                    "This institution is registered with the %(other)s, not the %(authority)s. To record this "
                    "registration and move the institution to the %(authority)s, give a correction reason."
                )
                % {"other": Authority(other).label, "authority": Authority(authority).label}
            )
        else:
            errors.append(
                _(
                    "This credit code belongs to an institution registered with another registration authority. "
                    "The %(authority)s may record registrations only of institutions registered with it; if this "
                    "one has moved to you, ask the health bureau to correct the record."
                )
                % {"authority": Authority(authority).label}
            )
    return errors


def _refusals(*, actor, mismatches, correction_reason) -> list:
    """The mismatches that stand: all of them, unless the health bureau gave a reason."""
    if correction_reason and can_correct_registration(actor):
        return []
    return mismatches


def registration_validate(*, actor, **fields) -> dict:
    """Check a registration's input as ``registration_record`` receives it; return it cleaned.

    Raises ``PermissionDenied`` if ``actor`` may not record registrations at all, and one
    ``ValidationError`` keyed by input field (``authority``, ``credit_code``, ...) listing
    every problem found. Writes nothing.

    The guard between authorities (``_authority_errors``) refuses, on ``credit_code``, a code
    from another registering body and an institution registered with another authority,
    unless the health bureau gives a ``correction_reason`` (optional; an authority may not
    give one, and the bureau gives one only where there is something to correct).
    """
    if not can_record_registration(actor):
        raise PermissionDenied(_("Only registration authorities and the health bureau may record registrations."))
    errors: dict[str, list] = {}
    cleaned = {}

    def text(name):
        value = fields.get(name)
        value = "" if value is None else str(value).strip()
        if not value:
            errors.setdefault(name, []).append(_("This field is required."))
        elif len(value) > _MAX_LENGTH.get(name, 10_000):
            errors.setdefault(name, []).append(
                _("At most %(n)d characters, please; this has %(m)d.") % {"n": _MAX_LENGTH[name], "m": len(value)}
            )
        cleaned[name] = value
        return value

    authority = text("authority")
    if authority and authority not in Authority.values:
        errors.setdefault("authority", []).append(
            _("Choose one of: %(choices)s.") % {"choices": ", ".join(Authority.values)}
        )
    elif authority and not can_record_registration(actor, authority):
        errors.setdefault("authority", []).append(
            _("You may record registrations of your own authority (%(own)s) only.")
            % {"own": Authority(actor.authority).label}
        )
    text("registration_number")

    registered_on = _as_date(fields.get("registered_on"))
    cleaned["registered_on"] = registered_on
    if registered_on is None:
        errors.setdefault("registered_on", []).append(_("Enter the date of registration as YYYY-MM-DD."))
    elif registered_on > timezone.localdate():
        errors.setdefault("registered_on", []).append(_("The date of registration cannot be in the future."))
    elif registered_on < EARLIEST_REGISTERED_ON:
        errors.setdefault("registered_on", []).append(
            _(
                "The date of registration cannot be before %(earliest)s: the national registration and "
                "filing rules for childcare institutions date from 2019."
            )
            % {"earliest": EARLIEST_REGISTERED_ON.isoformat()}
        )
    else:
        try:
            cleaned["push_rule"] = push_window_on(registered_on)
        except PolicyNotInForce as exc:
            errors.setdefault("registered_on", []).append(exc.message)

    kind = text("kind")
    if kind and kind not in RegistrationKind.values:
        errors.setdefault("kind", []).append(
            _("Choose one of: %(choices)s.") % {"choices": ", ".join(RegistrationKind.values)}
        )

    correction_reason = fields.get(CORRECTION_FIELD)
    correction_reason = "" if correction_reason is None else str(correction_reason).strip()
    cleaned[CORRECTION_FIELD] = correction_reason
    if len(correction_reason) > _MAX_LENGTH[CORRECTION_FIELD]:
        errors.setdefault(CORRECTION_FIELD, []).append(
            _("At most %(n)d characters, please; this has %(m)d.")
            % {"n": _MAX_LENGTH[CORRECTION_FIELD], "m": len(correction_reason)}
        )
    else:
        for message in _correction_reason_errors(actor, correction_reason):
            errors.setdefault(CORRECTION_FIELD, []).append(message)

    credit_code = normalize_credit_code(text("credit_code"))
    cleaned["credit_code"] = credit_code
    institution = None
    if credit_code:
        try:
            validate_credit_code(credit_code)
        except ValidationError as exc:
            errors.setdefault("credit_code", []).extend(exc.messages)
        else:
            institution = Institution.objects.filter(credit_code=credit_code).first()
            if authority and "authority" not in errors:
                mismatches = _mismatches(
                    actor=actor, authority=authority, credit_code=credit_code, institution=institution
                )
                refused = _refusals(actor=actor, mismatches=mismatches, correction_reason=correction_reason)
                if refused:
                    errors.setdefault("credit_code", []).extend(refused)
                elif correction_reason and not mismatches and can_correct_registration(actor):
                    errors.setdefault(CORRECTION_FIELD, []).append(
                        _(
                            "There is nothing to correct: the credit code and the institution match this "
                            "registration authority. Leave the correction reason empty."
                        )
                    )
            if kind == RegistrationKind.DEREGISTRATION and institution is None:
                errors.setdefault("credit_code", []).append(
                    _("No institution with this credit code is in the registry, so it cannot be deregistered.")
                )
            if kind == RegistrationKind.CHANGE and institution is not None and institution.archived:
                errors.setdefault("credit_code", []).append(
                    _("This institution is closed and archived; a change cannot be applied to it.")
                )

    text("institution_name")
    street_code = text("street_code")
    street = Street.objects.filter(code=street_code).first() if street_code else None
    if street_code and street is None:
        errors.setdefault("street_code", []).append(
            _("“%(code)s” is not the NBS code of a street or town in Lucheng.") % {"code": street_code}
        )
    cleaned["street"] = street
    text("address")
    text("legal_representative")

    if errors:
        raise ValidationError(errors)
    return cleaned


def _registered_data(cleaned) -> dict:
    data = {name: cleaned[name] for name in REGISTRATION_FIELDS if name in cleaned and name != "registered_on"}
    data["registered_on"] = cleaned["registered_on"].isoformat()
    data["street_code"] = cleaned["street"].code
    return data


def _institution_for(*, actor, cleaned) -> Institution:
    """Match the institution by credit code, or register it; apply a change of registration to it.

    The guard between authorities is checked again under the institution's row lock, so a
    move committed since ``registration_validate`` is not overtaken. A correction reason is
    the history reason of what the registration does to the institution.
    """
    correction = cleaned[CORRECTION_FIELD]
    registered = {
        "name": cleaned["institution_name"],
        "street": cleaned["street"],
        "address": cleaned["address"],
        "legal_representative": cleaned["legal_representative"],
        "registration_authority": cleaned["authority"],
    }
    institution = Institution.objects.select_for_update().filter(credit_code=cleaned["credit_code"]).first()
    mismatches = _mismatches(
        actor=actor, authority=cleaned["authority"], credit_code=cleaned["credit_code"], institution=institution
    )
    refused = _refusals(actor=actor, mismatches=mismatches, correction_reason=correction)
    if refused:
        raise RegistrationRefused({"credit_code": refused})
    if institution is None:
        # institution_save rather than institution_create: it takes the history reason.
        return institution_save(
            institution=Institution(
                credit_code=cleaned["credit_code"],
                kind=InstitutionKind.STANDALONE,
                ownership=(
                    Ownership.PUBLIC if cleaned["authority"] == Authority.ESTABLISHMENT_OFFICE else Ownership.PRIVATE
                ),
                for_profit=cleaned["authority"] == Authority.MARKET_REGULATION,
                registered_on=cleaned["registered_on"],  # it starts registered, as every institution
                **registered,
            ),
            actor=actor,
            authorized=True,
            reason=correction,
        )
    if cleaned["kind"] == RegistrationKind.CHANGE:
        changed = {k: v for k, v in registered.items() if getattr(institution, k) != v}
        if changed:
            institution = institution_update(
                institution=institution,
                actor=actor,
                authorized=True,
                reason=correction or _("Change of registration"),
                **changed,
            )
    elif institution.registration_authority != cleaned["authority"] and not institution.archived:
        # Unclaimed, or (past the guard) the bureau's correction: the institution moves to this authority.
        institution = institution_update(
            institution=institution,
            actor=actor,
            authorized=True,
            reason=correction,
            registration_authority=cleaned["authority"],
        )
    return institution


def _existing(authority, registration_number):
    return Registration.objects.filter(authority=authority, registration_number=registration_number).first()


@transaction.atomic
def registration_record(
    *,
    actor,
    source,
    authority,
    registration_number,
    registered_on,
    kind,
    credit_code,
    institution_name,
    street_code,
    address,
    legal_representative,
    correction_reason="",
) -> tuple[Registration, bool]:
    """Record a registration once; return ``(registration, created)``.

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

    The guard between authorities (``registration_validate``) holds on every way in: an
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
    if number and can_record_registration(actor, authority) and not _correction_reason_errors(actor, reason):
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
                rule = cleaned["push_rule"]
                deadline = working_day_deadline(cleaned["registered_on"], rule.working_days)
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
                registration.full_clean(validate_constraints=False)
                registration.save()
                registration_push_enqueue(registration=registration)
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
