"""Writes of institution accounts: invitations issued, re-issued, revoked and accepted; an institution's
administrator removing a colleague or handing its role over; password resets asked for, started by the
bureau and completed.

A link (an invitation, a reset) carries a random token that only its receiver knows: the platform keeps
its SHA-256 (``models.link_token_hash``), so a link cannot be shown again, only replaced. Links go out
through the person notices of the exchange (``person_notice_enqueue(secret=True)``: e-mail or SMS, redacted
once sent, never in the inbox); when no channel could take one, the bureau prints it.

Knowing an institution's public particulars (its credit code, its registration number, its phone) gives
nothing here: an account is opened only with an invitation's token, and a reset link goes only to the
e-mail or phone on the account itself.
"""

import dataclasses
import datetime
import secrets

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from luchen_care.exchange import services as exchange_services

from ..models import Invitation, LinkState, PasswordReset, Role, User, link_token_hash
from ..permissions import administers_institution, manages_institution_accounts
from ..selectors import accounts_managed_by

INVITATION_TOPIC = "accounts.invitation"
PASSWORD_RESET_TOPIC = "accounts.password_reset"
TOKEN_BYTES = 32  # 256 bits, 43 URL-safe characters


@dataclasses.dataclass(frozen=True)
class IssuedLink:
    """A link just issued, with its token and its address: the only moment either is known.

    ``deliveries`` are the notices that carry it (empty when no channel could take it: print it)."""

    record: object
    token: str
    url: str
    deliveries: list

    @property
    def sent(self) -> bool:
        return bool(self.deliveries)


def _attributed(record, actor):
    # The history row names the actor even where no request is at hand (a task, the shell).
    if actor is not None and getattr(actor, "pk", None):
        record._history_user = actor
    return record


def _site() -> str:
    # The platform's public address, never a request's Host header (which a client chooses).
    return settings.PUBLIC_BASE_URL.rstrip("/")


def invitation_url(*, token) -> str:
    """The invitation's address: the token in the fragment, which browsers never send nor log."""
    return f"{_site()}{reverse('accounts_portal:invitation')}#{token}"


def password_reset_url(*, token) -> str:
    return f"{_site()}{reverse('accounts_portal:password_reset_confirm')}#{token}"


def _county_code(institution) -> str:
    """Whose channels carry a notice about ``institution``'s people: its county's."""
    street = getattr(institution, "street", None)
    county = getattr(street, "county", None)
    return getattr(county, "code", "") or ""


def _send(*, topic, subject, title, text, email, phone, label, destination):
    return exchange_services.person_notice_enqueue(
        topic=topic,
        subject=subject,
        title=title,
        text=text,
        email=email,
        phone=phone,
        secret=True,
        label=label,
        destination=destination,
        inbox=False,
    )


# --- Invitations -----------------------------------------------------------------------------------


def may_invite(actor, institution, *, administrator=False) -> bool:
    """Whether ``actor`` invites people to ``institution``'s accounts: the bureau that may change the
    institution, within its scope (as administrator or colleague); the institution's own administrator
    (colleagues only)."""
    if administers_institution(actor, institution.pk):
        return not administrator
    if not manages_institution_accounts(actor, institution):
        return False
    return type(institution).objects.visible_to(actor).filter(pk=institution.pk).exists()


def invitation_validate(*, actor, institution, name, email="", phone="", administrator=False) -> dict:
    """What ``invitation_issue`` refuses, before anything is saved (the forms show it on their fields);
    returns the cleaned values."""
    if institution is None or not may_invite(actor, institution, administrator=administrator):
        if institution is not None and administers_institution(actor, institution.pk):
            raise ValidationError(
                {
                    "administrator": _(
                        "Only the bureau names an institution's administrator; hand your role over instead."
                    )
                }
            )
        raise PermissionDenied(_("You may not invite people to this institution's accounts."))
    values = {
        "name": (name or "").strip(),
        "email": (email or "").strip(),
        "phone": "".join((phone or "").split()),
        "administrator": bool(administrator),
    }
    errors = {}
    if not values["email"] and not values["phone"]:
        errors["phone"] = _("Give the person's mobile phone or e-mail: the link goes there, or is printed for them.")
    try:
        Invitation(institution=institution, token_hash="x" * 64, expires_at=timezone.now(), **values).full_clean(
            exclude=["token_hash", "expires_at", "institution"]
        )
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, messages)
    if errors:
        raise ValidationError(errors)
    return values


def _invitation_notice(invitation, url):
    with translation.override(settings.LANGUAGE_CODE):
        expires = timezone.localtime(invitation.expires_at).strftime("%Y-%m-%d %H:%M")
        values = {"name": invitation.name, "institution": invitation.institution.name, "url": url, "expires": expires}
        title = _("Your account in the childcare institution portal: %(institution)s") % values
        text = (
            _(
                "%(name)s, you are invited to open an account of %(institution)s in the childcare institution "
                "portal. Open this link, choose a username and a password: %(url)s . It works once, until "
                "%(expires)s. If you did not expect it, ignore this message."
            )
            % values
        )
    return title, text


def _invitation_create(*, actor, institution, values, send, now, replaces=None):
    token = secrets.token_urlsafe(TOKEN_BYTES)
    invitation = Invitation(
        institution=institution,
        token_hash=link_token_hash(token),
        created_at=now,
        created_by=actor if actor is not None and actor.pk else None,
        expires_at=now + datetime.timedelta(days=settings.INVITATION_VALID_DAYS),
        replaces=replaces,
        **values,
    )
    invitation.full_clean()
    _attributed(invitation, actor).save()
    url = invitation_url(token=token)
    deliveries = []
    if send:
        title, text = _invitation_notice(invitation, url)
        deliveries = _send(
            topic=INVITATION_TOPIC,
            subject=invitation,
            title=title,
            text=text,
            email=invitation.email,
            phone=invitation.phone,
            label=str(invitation),
            destination=_county_code(institution),
        )
    return IssuedLink(record=invitation, token=token, url=url, deliveries=list(deliveries or []))


@transaction.atomic
def invitation_issue(
    *, actor, institution, name, email="", phone="", administrator=False, send=True, now=None
) -> IssuedLink:
    """Invite the person ``name`` (reached at ``email`` and/or ``phone``) to open an account of
    ``institution``, as its administrator or as a colleague, on behalf of ``actor``.

    Changes in the world: one ``Invitation`` (its history row names ``actor``), valid for
    ``INVITATION_VALID_DAYS``; with ``send``, a person notice carrying the link to that e-mail and/or
    phone (nothing when no channel is configured: ``IssuedLink.sent`` is false, print it). The token is
    returned once and never stored. Refused (``PermissionDenied``, or field-keyed ``ValidationError``;
    nothing saved) when ``actor`` may not invite to that institution (``may_invite``) or a value is wrong.
    """
    now = now or timezone.now()
    values = invitation_validate(
        actor=actor, institution=institution, name=name, email=email, phone=phone, administrator=administrator
    )
    return _invitation_create(actor=actor, institution=institution, values=values, send=send, now=now)


def _may_manage_invitation(actor, invitation) -> bool:
    return may_invite(actor, invitation.institution, administrator=invitation.administrator)


@transaction.atomic
def invitation_revoke(*, actor, invitation, now=None) -> Invitation:
    """Revoke ``invitation`` at once: its link opens nothing from now on. Changes ``revoked_at`` and
    ``revoked_by`` (its history row names ``actor``); a used or already revoked invitation is left as it
    is. Refused when ``actor`` may not invite to its institution."""
    now = now or timezone.now()
    invitation = Invitation.objects.select_for_update(of=("self",)).select_related("institution").get(pk=invitation.pk)
    if not _may_manage_invitation(actor, invitation):
        raise PermissionDenied(_("You may not invite people to this institution's accounts."))
    if invitation.used_at is not None or invitation.revoked_at is not None:
        return invitation
    invitation.revoked_at = now
    invitation.revoked_by = actor if actor is not None and actor.pk else None
    _attributed(invitation, actor).save(update_fields=["revoked_at", "revoked_by"])
    return invitation


@transaction.atomic
def invitation_reissue(*, actor, invitation, send=True, now=None) -> IssuedLink:
    """A fresh link for the person ``invitation`` names (to print it, or because the first was lost):
    ``invitation`` is revoked (if it still worked) and a new ``Invitation`` with the same person, role
    and institution ``replaces`` it, valid for ``INVITATION_VALID_DAYS`` from ``now``; with ``send``, the
    new link goes out as ``invitation_issue`` sends it. Refused for a used invitation (its person has
    an account already) and when ``actor`` may not invite to its institution."""
    now = now or timezone.now()
    old = Invitation.objects.select_for_update(of=("self",)).select_related("institution").get(pk=invitation.pk)
    if not _may_manage_invitation(actor, old):
        raise PermissionDenied(_("You may not invite people to this institution's accounts."))
    if old.used_at is not None:
        raise ValidationError(_("This invitation has been used: its person has an account already."))
    if hasattr(old, "replaced_by"):
        raise ValidationError(_("This invitation has been replaced already: re-issue the newest one."))
    invitation_revoke(actor=actor, invitation=old, now=now)
    values = {"name": old.name, "email": old.email, "phone": old.phone, "administrator": old.administrator}
    return _invitation_create(actor=actor, institution=old.institution, values=values, send=send, now=now, replaces=old)


def _issuer_withdrawn(invitation) -> bool:
    """Whether the institution account that issued ``invitation`` has since been removed or no longer
    administers its institution: then its link no longer works. The bureau's invitations stay valid."""
    issuer = invitation.created_by
    if issuer is None or issuer.role != Role.INSTITUTION:
        return False
    return not (issuer.is_active and administers_institution(issuer, invitation.institution_id))


def _invitation_state(invitation, now):
    state = invitation.state(now)
    if state == LinkState.LIVE and _issuer_withdrawn(invitation):
        return LinkState.REVOKED
    return state


def invitation_for_token(token, *, now=None):
    """The invitation whose link carries ``token``, and its state; ``(None, None)`` for an unknown token.
    A live invitation whose institution issuer has been removed or demoted since counts as revoked."""
    token = (token or "").strip()
    if not token or len(token) > 100:
        return None, None
    invitation = (
        Invitation.objects.select_related("institution", "created_by").filter(token_hash=link_token_hash(token)).first()
    )
    if invitation is None:
        return None, None
    return invitation, _invitation_state(invitation, now)


def _invitations_of_issuer_revoke(*, issuer, actor, now):
    """Revoke the live invitations ``issuer`` issued (it is being removed or demoted)."""
    for live in Invitation.objects.live(now).filter(created_by=issuer).select_for_update(of=("self",)):
        live.revoked_at = now
        live.revoked_by = actor if actor is not None and actor.pk else None
        _attributed(live, actor).save(update_fields=["revoked_at", "revoked_by"])


def _username_validate(username) -> str:
    username = (username or "").strip()
    field = User._meta.get_field("username")
    try:
        field.clean(username, None)
    except ValidationError as exc:
        raise ValidationError({"username": exc.messages}) from None
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": _("This username is taken: choose another.")})
    return username


@transaction.atomic
def invitation_accept(*, token, username, password, now=None) -> User:
    """Open the account the invitation of ``token`` offers, with ``username`` and ``password``.

    Changes in the world: a new active user of role institution, bound to the invitation's
    institution (its administrator if the invitation says so; not staff), with the invitation's name,
    e-mail and phone; the invitation is marked used by it (both history rows name the new user).
    Refused (field-keyed ``ValidationError``; nothing saved) when the link is unknown, used, revoked or
    expired, or was issued by an institution account that has since been removed or no longer
    administers the institution (key ``token``), the username is taken or invalid, or the password fails the platform's
    validators. The caller signs the person in.
    """
    now = now or timezone.now()
    invitation, state = invitation_for_token(token, now=now)
    if invitation is None:
        raise ValidationError({"token": link_refusal(None)})
    if invitation.created_by_id:  # its issuer's standing is read under lock (a removal in flight: wait for it)
        User.objects.select_for_update().filter(pk=invitation.created_by_id).first()
    locked = Invitation.objects.select_for_update(of=("self",)).select_related("institution", "created_by")
    invitation = locked.get(pk=invitation.pk)
    state = _invitation_state(invitation, now)
    if state != LinkState.LIVE:
        raise ValidationError({"token": link_refusal(state)})
    username = _username_validate(username)
    user = User(
        username=username,
        first_name=invitation.name,
        email=invitation.email,
        phone=invitation.phone,
        role=Role.INSTITUTION,
        institution=invitation.institution,
        institution_administrator=invitation.administrator,
        is_staff=False,
        is_active=True,
    )
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({"password1": exc.messages}) from None
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user._history_user = user  # its "created" row names the person who opened it (pk set by then)
    user.save()
    invitation.used_at = now
    invitation.user = user
    _attributed(invitation, user).save(update_fields=["used_at", "user"])
    return user


def link_refusal(state) -> str:
    """What a person is told of a link that does not work, by its state (``None``: unknown)."""
    return {
        LinkState.USED: _("This link has been used already. Sign in with your username and password."),
        LinkState.EXPIRED: _("This link has expired. Ask for a new one."),
        LinkState.REVOKED: _("This link has been withdrawn. Ask for a new one."),
    }.get(state, _("This link is not valid. Check that you opened the whole link, or ask for a new one."))


# --- The institution's administrator ------------------------------------------------------------------


def _colleague(actor, colleague) -> User:
    """``colleague``, locked, if ``actor`` administers its institution; else ``PermissionDenied``.

    The institution's active administrators are locked first, always in the same order, so two of them
    acting at once (removing each other, handing over) run one after the other: the second sees what
    the first did, and the institution never ends up without an administrator."""
    if not administers_institution(actor):
        raise PermissionDenied(_("Only your institution's administrator manages its accounts."))
    list(
        User.objects.select_for_update()
        .filter(institution_id=actor.institution_id, institution_administrator=True, is_active=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    me = User.objects.filter(pk=actor.pk).first()
    if me is None or not administers_institution(me):  # removed or demoted meanwhile
        raise PermissionDenied(_("Only your institution's administrator manages its accounts."))
    colleague = User.objects.select_for_update().filter(pk=colleague.pk).first()
    if colleague is None or colleague.role != Role.INSTITUTION or colleague.institution_id != actor.institution_id:
        raise PermissionDenied(_("This account is not one of your institution's."))
    return colleague


@transaction.atomic
def colleague_remove(*, actor, colleague, now=None) -> User:
    """Remove ``colleague`` from ``actor``'s institution: its account is deactivated (never deleted; its
    history stays) and loses the administrator role if it had it; its sessions end (an inactive account
    is signed out at its next request); the invitations it issued that still work are revoked. The
    changes are history rows naming ``actor``. Refused unless
    ``actor`` administers that institution, and for the last active administrator (who would leave the
    institution with nobody to manage its accounts)."""
    now = now or timezone.now()
    colleague = _colleague(actor, colleague)
    if not colleague.is_active:
        return colleague
    if colleague.institution_administrator:
        others = User.objects.filter(
            institution_id=colleague.institution_id, institution_administrator=True, is_active=True
        ).exclude(pk=colleague.pk)
        if not others.exists():
            raise ValidationError(
                _("You are your institution's last administrator: hand the role over to a colleague first.")
            )
    colleague.is_active = False
    colleague.institution_administrator = False
    colleague.full_clean(exclude=["password"])
    _attributed(colleague, actor).save(update_fields=["is_active", "institution_administrator"])
    _invitations_of_issuer_revoke(issuer=colleague, actor=actor, now=now)
    return colleague


@transaction.atomic
def institution_administrator_hand_over(*, actor, colleague, now=None) -> User:
    """Hand ``actor``'s role of its institution's administrator to ``colleague`` (a new director):
    ``colleague`` becomes the administrator and ``actor`` a colleague, each change a history row naming
    ``actor``. The invitations ``actor`` issued that still work are revoked (a former administrator
    keeps no way to open accounts). Refused unless ``actor`` administers the institution and
    ``colleague`` is another active account of it."""
    now = now or timezone.now()
    colleague = _colleague(actor, colleague)
    if colleague.pk == actor.pk or not colleague.is_active:
        raise ValidationError({"colleague": _("Choose another active colleague of your institution.")})
    colleague.institution_administrator = True
    _attributed(colleague, actor).save(update_fields=["institution_administrator"])
    me = User.objects.select_for_update().get(pk=actor.pk)
    me.institution_administrator = False
    _attributed(me, actor).save(update_fields=["institution_administrator"])
    actor.institution_administrator = False
    _invitations_of_issuer_revoke(issuer=me, actor=actor, now=now)
    return colleague


# --- Password resets -----------------------------------------------------------------------------------


def _password_reset_notice(reset, url):
    with translation.override(settings.LANGUAGE_CODE):
        expires = timezone.localtime(reset.expires_at).strftime("%Y-%m-%d %H:%M")
        values = {"user": reset.user.get_username(), "url": url, "expires": expires}
        title = _("Set a new password for %(user)s") % values
        text = (
            _(
                "A new password was asked for the portal account %(user)s. Open this link to set it: %(url)s . "
                "It works once, until %(expires)s. If you did not ask for it, ignore this message: your "
                "password stays as it is."
            )
            % values
        )
    return title, text


def _password_reset_create(*, user, actor, now, email, phone, send=True):
    for live in PasswordReset.objects.live(now).filter(user=user).select_for_update():
        live.revoked_at = now
        live.revoked_by = actor if actor is not None and actor.pk else None
        _attributed(live, actor).save(update_fields=["revoked_at", "revoked_by"])
    token = secrets.token_urlsafe(TOKEN_BYTES)
    reset = PasswordReset(
        user=user,
        token_hash=link_token_hash(token),
        created_at=now,
        created_by=actor if actor is not None and actor.pk else None,
        expires_at=now + datetime.timedelta(hours=settings.PASSWORD_RESET_VALID_HOURS),
    )
    reset.full_clean()
    _attributed(reset, actor).save()
    url = password_reset_url(token=token)
    deliveries = []
    if send and (email or phone):
        title, text = _password_reset_notice(reset, url)
        deliveries = _send(
            topic=PASSWORD_RESET_TOPIC,
            subject=reset,
            title=title,
            text=text,
            email=email,
            phone=phone,
            label=str(reset),
            destination=_county_code(user.institution) if user.institution_id else "",
        )
    return IssuedLink(record=reset, token=token, url=url, deliveries=list(deliveries or []))


@transaction.atomic
def password_reset_request(*, username, contact, now=None) -> None:
    """A person asks for a new password of the portal account ``username``, giving ``contact``.

    Changes in the world, only when ``username`` is an active institution account whose e-mail or
    mobile phone is ``contact``: a ``PasswordReset`` (valid ``PASSWORD_RESET_VALID_HOURS``; the account's
    older live ones revoked) whose link goes, by a person notice, to that e-mail or phone only. Otherwise
    nothing. Returns nothing either way: whoever asks is told the same, so an account's existence is
    not disclosed.
    """
    now = now or timezone.now()
    username = (username or "").strip()
    contact = "".join((contact or "").split())
    if not username or not contact:
        return
    user = (
        User.objects.select_for_update()
        .filter(username__iexact=username, role=Role.INSTITUTION, is_active=True, institution__isnull=False)
        .first()
    )
    if user is None:
        return
    email = user.email if user.email and user.email.lower() == contact.lower() else ""
    phone = user.phone if user.phone and user.phone == contact else ""
    if not (email or phone):
        return
    _password_reset_create(user=user, actor=None, now=now, email=email, phone=phone)


def may_start_password_reset(actor, user) -> bool:
    """The bureau that may change the account's institution (within its scope), or whoever manages
    the account in the admin (a superuser, its county administrator)."""
    if user.role != Role.INSTITUTION or not user.institution_id:
        return False
    if accounts_managed_by(actor).filter(pk=user.pk).exists():
        return True
    return may_invite(actor, user.institution, administrator=True) and not administers_institution(actor)


@transaction.atomic
def password_reset_start(*, actor, user, send=True, now=None) -> IssuedLink:
    """The bureau starts a password reset of the institution account ``user``, on behalf of ``actor``.

    Changes in the world: a ``PasswordReset`` (its history row names ``actor``; the account's older live
    ones revoked) and, with ``send``, a person notice carrying its link to the account's e-mail and
    phone. When none could go out (``IssuedLink.sent`` false), the caller shows the link once to print.
    Refused (``PermissionDenied``) unless ``may_start_password_reset``; and for an inactive account.
    """
    now = now or timezone.now()
    user = User.objects.select_for_update(of=("self",)).select_related("institution__street__county").get(pk=user.pk)
    if not may_start_password_reset(actor, user):
        raise PermissionDenied(_("You may not reset this account's password."))
    if not user.is_active:
        raise ValidationError(_("This account has been removed: invite its person again instead."))
    return _password_reset_create(user=user, actor=actor, now=now, email=user.email, phone=user.phone, send=send)


def password_reset_for_token(token, *, now=None):
    """The reset whose link carries ``token``, and its state; ``(None, None)`` for an unknown token."""
    token = (token or "").strip()
    if not token or len(token) > 100:
        return None, None
    reset = PasswordReset.objects.select_related("user").filter(token_hash=link_token_hash(token)).first()
    if reset is None:
        return None, None
    state = reset.state(now)
    if state == LinkState.LIVE and not reset.user.is_active:
        state = LinkState.REVOKED
    return reset, state


@transaction.atomic
def password_reset_complete(*, token, password, now=None) -> User:
    """Set ``password`` as the new password of the account the reset link of ``token`` names.

    Changes in the world: the account's password (which ends every session it had, and revokes its
    API tokens); the reset marked used. Refused (field-keyed ``ValidationError``; nothing saved) for an
    unknown, used, revoked or expired link (key ``token``) and a password the validators refuse.
    """
    now = now or timezone.now()
    reset, state = password_reset_for_token(token, now=now)
    if reset is None:
        raise ValidationError({"token": link_refusal(None)})
    reset = PasswordReset.objects.select_for_update(of=("self",)).select_related("user").get(pk=reset.pk)
    state = reset.state(now)
    if state != LinkState.LIVE or not reset.user.is_active:
        raise ValidationError({"token": link_refusal(state if state != LinkState.LIVE else LinkState.REVOKED)})
    user = reset.user
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({"new_password1": exc.messages}) from None
    user.set_password(password)
    user.save(update_fields=["password"])
    reset.used_at = now
    _attributed(reset, user).save(update_fields=["used_at"])
    return user
