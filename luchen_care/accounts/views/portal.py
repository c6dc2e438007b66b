"""The portal's account pages (/portal/…): accepting an invitation, resetting a password, my account,
and the colleagues page of an institution's administrator. Every write goes through ``services``.

One-time links carry their token in the address's fragment (``#…``), which browsers neither send nor
log; the page's script (``static/accounts/link_token.js``) puts it into the form, which POSTs it. A
wrong token counts as a failed sign-in from that address (django-axes): guessing links locks out like
guessing passwords, and is recorded like them.
"""

from axes.handlers.proxy import AxesProxyHandler
from django.contrib import messages
from django.contrib.auth import login, update_session_auth_hash
from django.contrib.auth.forms import PasswordChangeForm
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from luchen_care.core.views import no_store
from luchen_care.portal.access import institution_required

from ..forms import InvitationAcceptForm, InvitationForm, PasswordResetRequestForm, PasswordResetSetForm, TokenForm
from ..lockout import address_throttled, lockout_response
from ..models import LinkState
from ..permissions import administers_institution
from ..selectors import colleagues_of, invitations_pending_for, sign_ins_of
from ..services import institution_accounts as services
from . import qr_svg

# What a wrong link token is recorded as in the login limits (one "username" per kind of link).
INVITATION_CREDENTIALS = {"username": "(invitation link)"}
RESET_CREDENTIALS = {"username": "(password reset link)"}
PASSWORD_RESET_REQUESTS_PER_HOUR = 5


def _locked(request, credentials):
    if AxesProxyHandler.is_allowed(request, credentials):
        return None
    return lockout_response(request, credentials=credentials)


def _refused(request, template, form, credentials, message, status):
    if status == 404:  # an unknown token: a guess, counted as a failed sign-in
        user_login_failed.send(sender=__name__, credentials=credentials, request=request)
        request.axes_credentials = credentials
    if "token" not in form.errors:
        form.add_error("token", message)
    context = {"title": _("This link does not work"), "form": form, "refused": message}
    return no_store(render(request, template, context, status=status))


def _status(state):
    return 404 if state is None else 410


@never_cache
@sensitive_post_parameters()
def invitation(request):
    """Open an account with an invitation: the link's token (from the fragment), then a username and a
    password. An unknown, used, revoked or expired link says so and opens nothing."""
    template = "accounts/portal/invitation.html"
    if request.method != "POST":
        return no_store(render(request, template, {"title": _("Open your account"), "form": TokenForm()}))
    locked = _locked(request, INVITATION_CREDENTIALS)
    if locked is not None:
        return locked
    token = request.POST.get("token", "")
    found, state = services.invitation_for_token(token)
    if found is None or state != LinkState.LIVE:
        form = TokenForm(request.POST)
        form.is_valid()
        return _refused(request, template, form, INVITATION_CREDENTIALS, services.link_refusal(state), _status(state))
    context = {"title": _("Open your account"), "invitation": found}
    if "username" not in request.POST:  # the link checked: now the account's username and password
        form = InvitationAcceptForm(initial={"token": token, "username": found.phone or found.email})
        return no_store(render(request, template, {**context, "form": form, "accepting": True}))
    form = InvitationAcceptForm(request.POST)
    if form.is_valid():
        try:
            user = services.invitation_accept(
                token=form.cleaned_data["token"],
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password1"],
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("Your account is open. Welcome to the portal."))
            return redirect("portal:home")
    return no_store(render(request, template, {**context, "form": form, "accepting": True}, status=400))


@never_cache
@sensitive_post_parameters()
def password_reset(request):
    """Ask for a new password: the answer is the same whether the account exists or not."""
    template = "accounts/portal/password_reset.html"
    form = PasswordResetRequestForm(request.POST or None)
    context = {"title": _("Forgot your password"), "form": form}
    if request.method == "POST":
        if address_throttled(request, "password-reset", PASSWORD_RESET_REQUESTS_PER_HOUR, 3600):
            context["throttled"] = True
            return render(request, template, context, status=429)
        if form.is_valid():
            services.password_reset_request(
                username=form.cleaned_data["username"], contact=form.cleaned_data["contact"]
            )
            context["done"] = True
    return render(request, template, context)


@never_cache
@sensitive_post_parameters()
def password_reset_confirm(request):
    """Set a new password with a reset link (the token from the fragment); other sessions end."""
    template = "accounts/portal/password_reset_confirm.html"
    if request.method != "POST":
        return no_store(render(request, template, {"title": _("Set a new password"), "form": TokenForm()}))
    locked = _locked(request, RESET_CREDENTIALS)
    if locked is not None:
        return locked
    token = request.POST.get("token", "")
    reset, state = services.password_reset_for_token(token)
    if reset is None or state != LinkState.LIVE:
        form = TokenForm(request.POST)
        form.is_valid()
        return _refused(request, template, form, RESET_CREDENTIALS, services.link_refusal(state), _status(state))
    context = {"title": _("Set a new password"), "account": reset.user, "accepting": True}
    if "new_password1" not in request.POST:
        form = PasswordResetSetForm(initial={"token": token})
        return no_store(render(request, template, {**context, "form": form}))
    form = PasswordResetSetForm(request.POST)
    if form.is_valid():
        try:
            services.password_reset_complete(
                token=form.cleaned_data["token"], password=form.cleaned_data["new_password1"]
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("Your new password is set. Sign in with it."))
            return redirect("portal:login")
    return no_store(render(request, template, {**context, "form": form}, status=400))


@institution_required
@never_cache
@sensitive_post_parameters()
def account(request):
    """My account: who I am, a new password (my other sessions end), my latest sign-ins."""
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        update_session_auth_hash(request, user)  # this session stays; every other one ends
        messages.success(request, _("Your password has been changed. Your other sessions have ended."))
        return redirect("accounts_portal:account")
    context = {"title": _("My account"), "form": form, "sign_ins": sign_ins_of(request.user)}
    return render(request, "accounts/portal/account.html", context, status=400 if form.errors else 200)


@institution_required
@never_cache
def colleagues(request):
    """The institution's accounts and its pending invitations; its administrator also invites,
    removes and hands over (the forms of this page post to the actions below)."""
    me = request.user
    manages = administers_institution(me, me.institution_id)
    context = {
        "title": _("Colleagues"),
        "colleagues": colleagues_of(me),
        "invitations": invitations_pending_for(me) if manages else [],
        "manages": manages,
        "form": InvitationForm() if manages else None,
    }
    return render(request, "accounts/portal/colleagues.html", context)


def _administrator(request):
    if not administers_institution(request.user, request.user.institution_id):
        raise Http404
    return request.user


def _print_page(request, issued, title):
    context = {
        "title": title,
        "links": [{"issued": issued, "qr_svg": mark_safe(qr_svg(issued.url))}],  # our own SVG of our own link
        "back_url": reverse("accounts_portal:colleagues"),
    }
    return no_store(render(request, "accounts/link_print.html", context))


@institution_required
@never_cache
def colleague_invite(request):
    """The administrator invites a colleague: the link goes out by SMS or e-mail, and is shown once to print."""
    me = _administrator(request)
    form = InvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            issued = services.invitation_issue(
                actor=me,
                institution=me.institution,
                name=form.cleaned_data["name"],
                email=form.cleaned_data["email"],
                phone=form.cleaned_data["phone"],
                administrator=False,
                send=form.cleaned_data["send"],
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            return _print_page(request, issued, _("Invitation for %(name)s") % {"name": issued.record.name})
    status = 400 if form.is_bound else 200
    return render(
        request, "accounts/portal/invite.html", {"title": _("Invite a colleague"), "form": form}, status=status
    )


def _colleague_or_404(request, pk):
    colleague = colleagues_of(request.user).filter(pk=pk).first()
    if colleague is None:
        raise Http404
    return colleague


def _invitation_or_404(request, pk):
    found = invitations_pending_for(request.user, include_closed=True).filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


def _apply(request, write, done):
    try:
        write()
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except PermissionDenied as exc:
        raise Http404 from exc
    else:
        messages.success(request, done)
    return redirect("accounts_portal:colleagues")


@require_POST
@institution_required
def colleague_remove(request, pk):
    me = _administrator(request)
    colleague = _colleague_or_404(request, pk)
    done = _("%(name)s can no longer sign in.") % {"name": colleague.get_full_name() or colleague.username}
    return _apply(request, lambda: services.colleague_remove(actor=me, colleague=colleague), done)


@require_POST
@institution_required
def colleague_make_administrator(request, pk):
    me = _administrator(request)
    colleague = _colleague_or_404(request, pk)
    done = _("%(name)s is now your institution's administrator.") % {
        "name": colleague.get_full_name() or colleague.username
    }
    return _apply(request, lambda: services.institution_administrator_hand_over(actor=me, colleague=colleague), done)


@require_POST
@institution_required
def invitation_revoke(request, pk):
    me = _administrator(request)
    found = _invitation_or_404(request, pk)
    return _apply(request, lambda: services.invitation_revoke(actor=me, invitation=found), _("Invitation withdrawn."))


@require_POST
@institution_required
@never_cache
def invitation_reissue(request, pk):
    me = _administrator(request)
    found = _invitation_or_404(request, pk)
    try:
        issued = services.invitation_reissue(actor=me, invitation=found, send="send" in request.POST)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("accounts_portal:colleagues")
    except PermissionDenied as exc:
        raise Http404 from exc
    return _print_page(request, issued, _("Invitation for %(name)s") % {"name": issued.record.name})
