"""The institution's self-service sign-up pages of the portal: sign up, enter the code, wait.

Public pages: they show nothing of any institution. The sign-up in progress is remembered in
the visitor's session (its id only); the account is signed in only once the right code is entered.
"""

from django.contrib import messages
from django.contrib.auth import login
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from luchen_care.accounts.lockout import client_address

from ..forms.signups import SignupCodeForm, SignupForm
from ..models import PortalSignup, SignupState
from ..services.signups import CODE_WITHHELD, CodeRefused, portal_signup_confirm, portal_signup_request

SESSION_KEY = "registry_portal_signup"
# The account is signed in as ModelBackend would sign it in (axes' backend only counts failures).
BACKEND = "django.contrib.auth.backends.ModelBackend"


def _signup_of(request):
    pk = request.session.get(SESSION_KEY)
    if not isinstance(pk, int):
        return None
    return PortalSignup.objects.select_related("account").filter(pk=pk).first()


def _apply_errors(form, exc):
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc)


@sensitive_post_parameters("password1", "password2")
@require_http_methods(["GET", "POST"])
def signup(request):
    """Sign up with the credit code, the registration number and the contact phone."""
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            outcome = portal_signup_request(**form.request_fields(), client_address=client_address(request))
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            request.session[SESSION_KEY] = outcome.signup.pk
            if outcome.code_sent:
                return redirect("registry_portal:signup-confirm")
            if outcome.code_withheld:
                messages.warning(request, CODE_WITHHELD)
            return redirect("registry_portal:signup-pending")
    return render(request, "registry/portal/signup.html", {"title": _("Sign up your institution"), "form": form})


@sensitive_post_parameters("code")
@require_http_methods(["GET", "POST"])
def signup_confirm(request):
    """Enter the code sent to the phone on record: the right one activates the account and signs it in."""
    signup = _signup_of(request)
    if signup is None or not signup.awaits_code:
        return redirect("registry_portal:signup-pending" if signup else "registry_portal:signup")
    form = SignupCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            signup = portal_signup_confirm(signup=signup, code=form.cleaned_data["code"])
        except CodeRefused as exc:
            if exc.expired:
                messages.error(request, exc.error_dict["code"][0].messages[0])
                return redirect("registry_portal:signup-pending")
            _apply_errors(form, exc)
        else:
            request.session.pop(SESSION_KEY, None)
            login(request, signup.account, backend=BACKEND)
            messages.success(request, _("Your account is active. Welcome to the portal."))
            return redirect("portal:home")
    context = {"title": _("Enter the code"), "form": form, "signup": signup}
    return render(request, "registry/portal/signup_confirm.html", context)


@require_http_methods(["GET"])
def signup_pending(request):
    """Where a sign-up waits: for the bureau's activation, or, once over, what to do next."""
    signup = _signup_of(request)
    state = signup.state if signup else None
    context = {
        "title": _("Your sign-up"),
        "state": state,
        "awaits_code": bool(signup and signup.awaits_code),
        "pending": state == SignupState.PENDING,
        "over": state in (SignupState.EXPIRED, SignupState.REJECTED),
        "activated": state == SignupState.ACTIVATED,
    }
    return render(request, "registry/portal/signup_pending.html", context)
