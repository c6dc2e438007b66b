"""An institution's self-service sign-up to the portal, and the transitions that settle it.

The rule (issue 11): an institution may sign up with its credit code, its registration number
and its contact phone, but knowing those never yields a session. The account it creates stays
inactive while the sign-up is pending, until the bureau activates it (``portal_signup_activate``)
or the one-time code sent to the phone on record is entered (``portal_signup_confirm``).

The machine: *pending* → *activated* (confirm, activate) | *rejected* (reject) | *expired* (expire;
also too many wrong codes, or a code past its time). Every target is final. Each step is a named
transition (``SIGNUP_TRANSITIONS``) with its sources; it records its step, who, when and the
comment on the sign-up, whose history keeps the change. The state is never assigned elsewhere.
"""

import dataclasses
import datetime
import functools
import re
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from luchen_care.accounts.models import Role

from ..models import PortalSignup, Registration, RegistrationKind, SignupState, SignupStep
from ..permissions import can_change_institution
from ..validators import normalize_credit_code

S = SignupState

# The one answer to a sign-up that matches nothing: it says neither which input was wrong nor
# whether the institution exists.
NO_MATCH = gettext_lazy(
    "These details do not match a registered institution. Check the credit code, the registration "
    "number and the phone exactly as registered, or ask the health bureau."
)
THROTTLED = gettext_lazy("Too many sign-up attempts from this address. Try again in an hour, or ask the health bureau.")
CODE_TOPIC = "registry.portal_signup_code"
# Said when the limits of codes per institution or address are reached: the sign-up waits for the bureau.
CODE_WITHHELD = gettext_lazy(
    "No code was sent: too many codes or wrong codes for this institution or from this address recently. "
    "The health bureau will phone the institution on the number on record and activate the account."
)
_ADDRESS_WINDOW = 60 * 60  # seconds during which an address's sign-ups that matched nothing count


_MOBILE = re.compile(r"^1[3-9]\d{9}$")


def _digits(phone: str) -> str:
    """A phone as compared: digits only (spaces, hyphens and a +86 prefix do not count)."""
    digits = re.sub(r"\D", "", phone or "")
    return digits[2:] if len(digits) == 13 and digits.startswith("86") else digits


def phone_on_record(registration) -> str:
    """The phone the platform holds for the institution of ``registration``: the registration's own
    contact phone when it carried one, otherwise the institution's (the bureau records it; a
    registration pushed by an authority today carries none). The code goes there, never to a
    number typed in the form."""
    return (registration.data or {}).get("contact_phone") or registration.institution.contact_phone


def code_hash(signup, code: str) -> str:
    """The stored form of a one-time code: keyed by the deployment's secret and the sign-up."""
    return salted_hmac("registry.portal_signup.code", f"{signup.pk}:{code}", algorithm="sha256").hexdigest()


def _address_key(address):
    return f"registry:portal-signup:address:{address}"


def _throttled(address) -> bool:
    return (cache.get(_address_key(address)) or 0) >= settings.PORTAL_SIGNUP_ADDRESS_LIMIT


def _count_against(address):
    key = _address_key(address)
    cache.add(key, 0, timeout=_ADDRESS_WINDOW)
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=_ADDRESS_WINDOW)


def _matching_registration(*, credit_code, registration_number, phone):
    """The registration of a live institution with this credit code and number whose phone on record
    is ``phone``; ``None`` otherwise (which of the three failed is not said)."""
    candidates = (
        Registration.objects.select_related("institution__street__county")
        .filter(
            institution__credit_code=normalize_credit_code(credit_code),
            registration_number=(registration_number or "").strip(),
            institution__archived=False,
        )
        .exclude(kind=RegistrationKind.DEREGISTRATION)
        .order_by("-registered_on", "-pk")
    )
    typed = _digits(phone)
    for registration in candidates:
        on_record = _digits(phone_on_record(registration))
        if typed and on_record and constant_time_compare(typed, on_record):
            return registration
    return None


def signup_account_errors(*, username, password, email=""):
    """What is wrong with the account a sign-up would create, keyed by field (empty: nothing).

    The platform's own rules: Django's username rule and uniqueness, and the password validators
    of a level-3 system (``AUTH_PASSWORD_VALIDATORS``)."""
    User = get_user_model()
    user = User(username=username, email=email, role=Role.INSTITUTION)
    errors = {}
    try:
        user.clean_fields(exclude=[f.name for f in user._meta.fields if f.name not in ("username", "email")])
        user.validate_unique(exclude=[f.name for f in user._meta.fields if f.name not in ("username",)])
    except ValidationError as exc:
        errors.update(exc.message_dict)
    # Usernames differing only in case are one username (as invitations check them).
    if "username" not in errors and User.objects.filter(username__iexact=(username or "").strip()).exists():
        errors["username"] = [User._meta.get_field("username").error_messages["unique"]]
    try:
        validate_password(password, user)
    except ValidationError as exc:
        errors["password"] = exc.messages
    return errors


@dataclasses.dataclass(frozen=True)
class SignupRequested:
    signup: PortalSignup
    code_sent: bool  # a code went to the phone on record; otherwise the bureau activates
    code_withheld: bool = False  # no code because of the limits (``codes_withheld``)


def _window_start():
    return timezone.now() - datetime.timedelta(hours=settings.PORTAL_SIGNUP_CODE_WINDOW_HOURS)


def institution_wrong_codes(institution) -> int:
    """The wrong codes entered within the window over all of ``institution``'s sign-ups."""
    recent = PortalSignup.objects.filter(institution=institution, created_at__gte=_window_start())
    return recent.aggregate(total=Sum("code_attempts"))["total"] or 0


def codes_withheld(*, institution, client_address) -> bool:
    """Whether no more codes may be sent for ``institution`` or from ``client_address`` within the window
    (``PORTAL_SIGNUP_CODE_WINDOW_HOURS``): ``PORTAL_SIGNUP_CODES_PER_INSTITUTION`` codes sent, or
    ``PORTAL_SIGNUP_CODE_ATTEMPTS`` wrong codes, for the institution; ``PORTAL_SIGNUP_CODES_PER_ADDRESS``
    codes sent from the address. The sign-up then waits for the bureau."""
    sent = PortalSignup.objects.filter(created_at__gte=_window_start()).exclude(code_sent_to="")
    if sent.filter(institution=institution).count() >= settings.PORTAL_SIGNUP_CODES_PER_INSTITUTION:
        return True
    if institution_wrong_codes(institution) >= settings.PORTAL_SIGNUP_CODE_ATTEMPTS:
        return True
    return bool(client_address) and (
        sent.filter(client_address=client_address).count() >= settings.PORTAL_SIGNUP_CODES_PER_ADDRESS
    )


def _stale(signup) -> str:
    """Why a pending sign-up is over (its code ran out; no code and not decided in
    ``PORTAL_SIGNUP_PENDING_DAYS``), or ``""``."""
    now = timezone.now()
    if signup.code_hash:
        return str(_("The code was not entered in time.")) if signup.code_expires_at <= now else ""
    days = settings.PORTAL_SIGNUP_PENDING_DAYS
    if signup.created_at <= now - datetime.timedelta(days=days):
        return _("Not activated by the health bureau within %(days)d days.") % {"days": days}
    return ""


@transaction.atomic
def portal_signup_request(
    *, credit_code, registration_number, phone, username, password, email="", client_address=""
) -> SignupRequested:
    """Sign an institution up to the portal: an inactive account bound to it, and a pending sign-up.

    What it changes in the world, in one transaction:
    - refuses, keyed by field, a username or password the platform's rules refuse; nothing is stored;
    - refuses an address that has sent ``PORTAL_SIGNUP_ADDRESS_LIMIT`` sign-ups matching nothing
      within the hour, and counts each sign-up that matches nothing against its address; a
      mismatch is answered with one message (``NO_MATCH``) whatever was wrong, and stores nothing;
    - refuses an institution that already has an active portal account (its administrator invites
      colleagues) or a pending sign-up (one at a time; one whose code has run out, or one without a
      code older than ``PORTAL_SIGNUP_PENDING_DAYS``, expires first, by the platform, with why);
    - creates the account (role institution, bound to the institution, **inactive**: it cannot sign
      in) and the pending ``PortalSignup``, with history rows;
    - when an SMS channel is configured and the limits allow (``codes_withheld``), sends a 6-digit
      code to the phone on record (``phone_on_record``; never to the number typed) through the
      outbox, valid ``PORTAL_SIGNUP_CODE_MINUTES``; otherwise the sign-up waits for the bureau.
    """
    errors = signup_account_errors(username=username, password=password, email=email)
    if errors:
        raise ValidationError(errors)
    if _throttled(client_address):
        raise ValidationError(THROTTLED, code="throttled")
    registration = _matching_registration(credit_code=credit_code, registration_number=registration_number, phone=phone)
    if registration is None:
        _count_against(client_address)
        raise ValidationError(NO_MATCH, code="no_match")
    institution = registration.institution
    User = get_user_model()
    if User.objects.filter(role=Role.INSTITUTION, institution=institution, is_active=True).exists():
        raise ValidationError(
            _(
                "This institution already has a portal account. Its administrator invites colleagues from "
                "the portal; if nobody can sign in any more, ask the health bureau."
            ),
            code="has_account",
        )
    for stale in PortalSignup.objects.select_for_update().filter(institution=institution, state=S.PENDING):
        if why := _stale(stale):
            portal_signup_expire(signup=stale, actor=None, comment=why)
        else:
            raise ValidationError(
                _(
                    "A sign-up of this institution is already waiting: enter the code sent to the phone on "
                    "record, or wait for the health bureau to activate it."
                ),
                code="pending",
            )
    account = User(
        username=username,
        email=email,
        role=Role.INSTITUTION,
        institution=institution,
        is_active=False,
        is_staff=False,
    )
    account.set_password(password)
    account._change_reason = str(SignupState.PENDING.label)
    account.full_clean()
    try:
        with transaction.atomic():
            account.save()
            signup = PortalSignup(
                institution=institution,
                registration=registration,
                account=account,
                phone_typed=phone.strip(),
                client_address=client_address,
            )
            signup.full_clean(validate_constraints=False)
            signup.save()
    except IntegrityError as exc:  # a concurrent sign-up of the same institution or username won
        raise ValidationError(
            _("Another sign-up of this institution or username was made just now. Try again in a moment."),
            code="concurrent",
        ) from exc
    if codes_withheld(institution=institution, client_address=client_address):
        return SignupRequested(signup=signup, code_sent=False, code_withheld=True)
    return SignupRequested(signup=signup, code_sent=_send_code(signup, phone_on_record(registration)))


def _send_code(signup, phone) -> bool:
    """Send a new code to ``phone`` by SMS through the outbox; keep only its hash. ``False`` when no
    SMS could go out (no channel configured, or a landline on record): then nothing is kept and the
    bureau activates."""
    from luchen_care.exchange.services import person_notice_enqueue  # noqa: PLC0415

    if not _MOBILE.match(_digits(phone)):
        return False  # a landline on record takes no SMS: the bureau activates
    code = f"{secrets.randbelow(10**6):06d}"
    minutes = settings.PORTAL_SIGNUP_CODE_MINUTES
    text = _(
        "%(code)s is your code to activate the portal account “%(username)s” of %(institution)s. It is valid "
        "for %(minutes)d minutes. If you did not sign up, ignore this message and tell the health bureau."
    ) % {"code": code, "username": signup.account.username, "institution": signup.institution.name, "minutes": minutes}
    deliveries = person_notice_enqueue(
        topic=CODE_TOPIC,
        subject=signup,
        title=_("Portal sign-up code"),
        text=text,
        phone=phone,
        secret=True,
        label=_("Sign-up code of %(institution)s") % {"institution": signup.institution.name},
        destination=signup.institution.street.county.code,
        inbox=False,
    )
    if not deliveries:
        return False
    signup.code_hash = code_hash(signup, code)
    signup.code_expires_at = timezone.now() + datetime.timedelta(minutes=minutes)
    signup.code_sent_to = phone
    signup._change_reason = str(_("Code sent to the phone on record"))
    signup.save(update_fields=["code_hash", "code_expires_at", "code_sent_to"])
    return True


# --- the transitions ----------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class SignupTransition:
    name: str
    sources: frozenset
    target: str

    @property
    def label(self):
        return SignupStep(self.name).label


#: Every step of a sign-up, by name: the table the services and the admin's actions share.
SIGNUP_TRANSITIONS: dict[str, SignupTransition] = {}


def signup_transition(*, name, sources, target):
    """Declare the step ``name`` of the sign-up machine; the decorated function does what the step does
    beyond the state.

    The service it makes (keyword-only ``signup``, ``actor``, ``comment``), in one transaction, locks
    the sign-up, refuses (on ``state``) a sign-up in no source state, runs the function, sets the
    state to ``target`` and records the step, ``actor`` (``None``: the platform itself, or whoever
    holds the code), the time and ``comment``, with a history row saying which step it was. A
    step leaves no code behind.
    """

    def decorate(func):
        step = SignupTransition(name=str(name), sources=frozenset(sources), target=target)

        @functools.wraps(func)
        @transaction.atomic
        def service(*, signup, actor, comment=""):
            locked = PortalSignup.objects.select_for_update().select_related("account", "institution").get(pk=signup.pk)
            if locked.state not in step.sources:
                raise ValidationError(
                    {"state": _("This sign-up is already “%(state)s”.") % {"state": S(locked.state).label}}
                )
            func(signup=locked, actor=actor, comment=comment)
            locked.state = step.target
            locked.step = step.name
            locked.decided_at = timezone.now()
            locked.decided_by = actor if getattr(actor, "is_authenticated", False) else None
            locked.comment = (comment or "").strip()
            locked.code_hash = ""
            locked._change_reason = f"{step.label}: {comment}"[:100] if comment else str(step.label)
            locked.full_clean(validate_constraints=False)
            locked.save()
            return locked

        service.transition = step
        SIGNUP_TRANSITIONS[step.name] = step
        return service

    return decorate


def _activate_account(signup, actor, step):
    """Make the sign-up's account active; the first active account of an institution is its
    administrator (``institution_administrator``: it invites and removes its colleagues)."""
    account = signup.account
    account.is_active = True
    others = type(account).objects.filter(institution=signup.institution, role=Role.INSTITUTION, is_active=True)
    if not others.exclude(pk=account.pk).exists():
        account.institution_administrator = True
    account._change_reason = str(step.label)
    if getattr(actor, "is_authenticated", False):
        account._history_user = actor
    account.full_clean()
    account.save()


def _check_decider(signup, actor):
    """The bureau that may change the institution decides on its sign-ups: the health bureau any of its
    county's, the education bureau its nursery classes' (``registry.permissions``), within its scope."""
    visible = PortalSignup.objects.visible_to(actor).filter(pk=signup.pk).exists()
    if not (visible and can_change_institution(actor, signup.institution)):
        raise PermissionDenied(_("You may not decide on this institution's sign-ups."))


@signup_transition(name=SignupStep.CONFIRM, sources={S.PENDING}, target=S.ACTIVATED)
def _portal_signup_confirmed(*, signup, actor, comment):
    """The right code was entered in time (``portal_signup_confirm`` checks it): the account is active."""
    _activate_account(signup, actor, SignupStep.CONFIRM)


@signup_transition(name=SignupStep.ACTIVATE, sources={S.PENDING}, target=S.ACTIVATED)
def portal_signup_activate(*, signup, actor, comment):
    """The bureau activates the pending sign-up: its account becomes active and can sign in to the
    portal (the first account of an institution is its administrator, once accounts have one).
    Only a bureau that may change the institution, and sees it, may (``PermissionDenied``)."""
    _check_decider(signup, actor)
    _activate_account(signup, actor, SignupStep.ACTIVATE)


@signup_transition(name=SignupStep.REJECT, sources={S.PENDING}, target=S.REJECTED)
def portal_signup_reject(*, signup, actor, comment):
    """The bureau rejects the pending sign-up, saying why (``comment``, required): its account stays
    inactive for good (kept, with its history, never deleted); the institution may sign up again."""
    _check_decider(signup, actor)
    if not (comment or "").strip():
        raise ValidationError({"comment": _("Say why the sign-up is rejected.")})


@signup_transition(name=SignupStep.EXPIRE, sources={S.PENDING}, target=S.EXPIRED)
def portal_signup_expire(*, signup, actor, comment):
    """The sign-up expires (too many wrong codes, or its code ran out): its account stays inactive for
    good, and the institution may sign up again."""


class CodeRefused(ValidationError):
    """A code refused; ``expired`` says the sign-up is over (nothing can be entered any more)."""

    def __init__(self, message, *, expired=False):
        super().__init__({"code": [message]})
        self.expired = expired


def portal_signup_confirm(*, signup, code) -> PortalSignup:
    """Enter the one-time code of a pending sign-up: the right code, in time and while its institution
    has had fewer than ``PORTAL_SIGNUP_CODE_ATTEMPTS`` wrong codes within the window
    (``PORTAL_SIGNUP_CODE_WINDOW_HOURS``, over all its sign-ups), activates the account (the caller
    signs it in).

    A wrong code counts (a history row); the last allowed wrong code of the institution, or a code
    entered after its time, expires the sign-up, leaving the account inactive for good. Raises ``CodeRefused`` (on
    ``code``) then; each outcome is committed, so a wrong guess is counted even though it is refused.
    """
    with transaction.atomic():
        locked = PortalSignup.objects.select_for_update().select_related("account").get(pk=signup.pk)
        if not locked.awaits_code:
            raise CodeRefused(_("This sign-up takes no code any more; sign up again, or ask the health bureau."),
                              expired=True)  # fmt: skip
        if locked.code_expires_at <= timezone.now():
            portal_signup_expire(signup=locked, actor=None, comment=_("The code was not entered in time."))
            expired = _("The code has expired. Sign up again to receive a new one.")
            refusal = CodeRefused(expired, expired=True)
        elif constant_time_compare(code_hash(locked, (code or "").strip()), locked.code_hash):
            return _portal_signup_confirmed(signup=locked, actor=None)
        else:
            locked.code_attempts += 1
            locked._change_reason = str(_("Wrong code entered"))
            locked.save(update_fields=["code_attempts"])
            left = settings.PORTAL_SIGNUP_CODE_ATTEMPTS - institution_wrong_codes(locked.institution_id)
            if left <= 0:
                portal_signup_expire(signup=locked, actor=None, comment=_("Too many wrong codes."))
                refusal = CodeRefused(_("Too many wrong codes: this sign-up has expired. Sign up again, or ask "
                                        "the health bureau."), expired=True)  # fmt: skip
            else:
                refusal = CodeRefused(_("This code is not right. %(left)d tries left.") % {"left": left}, expired=False)
    raise refusal
