"""A form posted after the session expired keeps its input: sign in again, then submit it again.

An officer fills a long form, goes to a meeting, and the idle session ends (``SESSION_COOKIE_AGE``).
Without this the POST would be answered by the login page and the input lost. Instead:

1. a POST to the admin, or to a portal page that needs its sign-in (its view carries
   ``keeps_expired_post``: ``portal.access.institution_required`` marks them), from a visitor
   who is no longer signed in, carrying this browser's valid
   CSRF token (so it comes from a form the platform rendered here, not from another site), is kept
   in the session: its fields, not its files, up to ``KEPT_BYTES``;
2. the visitor is sent to the login page, and back to the form's address after signing in;
3. there, the kept input is shown as a form to submit again, as it was, to the same address
   (the form's own validation and permissions then apply as to any POST), or to discard.
"""

from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpResponseRedirect
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import render
from django.urls import Resolver404, resolve, reverse

SESSION_KEY = "luchen_care.kept_post"
KEPT_BYTES = 64 * 1024
ADMIN_PREFIX = "/admin/"
PORTAL_PREFIX = "/portal/"
NOT_KEPT = {"csrfmiddlewaretoken", *settings.SENSITIVE_POST_FIELDS}
ALL = "__ALL__"  # ``sensitive_post_parameters()`` without names: every field is sensitive


def _sensitive_of(view):
    """The POST fields a view declares sensitive (``sensitive_post_parameters``): a set, or ``ALL``.

    The decorator marks the request only when the view runs, after this middleware decided; so its
    wrapper is found on the resolved view (through the ``__wrapped__`` chain) and its names read."""
    names = set()
    seen = 0
    while view is not None and seen < 20:
        code = getattr(view, "__code__", None)
        if code is not None and code.co_name == "sensitive_post_parameters_wrapper" and view.__closure__:
            cells = dict(zip(code.co_freevars, view.__closure__, strict=False))
            parameters = cells["parameters"].cell_contents if "parameters" in cells else ()
            if not parameters:
                return ALL
            names.update(parameters)
        view = getattr(view, "__wrapped__", None)
        seen += 1
    return names


def _csrf_ok(request) -> bool:
    return CsrfViewMiddleware(lambda r: None).process_view(request, None, (), {}) is None


class KeepExpiredPostMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def _login_of(self, path):
        """The sign-in page of a page that keeps an expired POST's input, or ``None``."""
        if path.startswith(ADMIN_PREFIX):
            login = reverse("admin:login")
            return None if path.startswith(login) else login
        if path.startswith(PORTAL_PREFIX):
            try:
                view = resolve(path).func
            except Resolver404:
                return None
            return reverse("portal:login") if getattr(view, "keeps_expired_post", False) else None
        return None

    def __call__(self, request):
        path = request.path
        login = self._login_of(path)
        if login:
            if not request.user.is_authenticated:
                if request.method == "POST" and self._keep(request):
                    return HttpResponseRedirect(f"{login}?{urlencode({'next': request.get_full_path()})}")
            else:
                kept = request.session.get(SESSION_KEY)
                if kept and kept["path"].split("?")[0] == path:
                    # Kept until it is submitted again or discarded (a reload shows it again).
                    if request.method == "POST" or request.GET.get("kept") == "discard":
                        del request.session[SESSION_KEY]
                    elif request.method == "GET":
                        portal = path.startswith(PORTAL_PREFIX)
                        template = "core/resubmit_portal.html" if portal else "core/resubmit.html"
                        return render(request, template, {"kept": kept, "fields": kept["fields"]})
        return self.get_response(request)

    def _keep(self, request) -> bool:
        if request.FILES or not _csrf_ok(request):
            return False
        sensitive = getattr(request, "sensitive_post_parameters", None) or ()
        if sensitive != ALL:
            try:
                declared = _sensitive_of(resolve(request.path).func)
            except Resolver404:
                declared = set()
            sensitive = ALL if declared == ALL else {*sensitive, *declared}
        if sensitive == ALL:  # a view whose every field is sensitive (a password change): keep nothing
            return False
        not_kept = NOT_KEPT | set(sensitive)
        fields = [(name, value) for name, values in request.POST.lists() if name not in not_kept for value in values]
        if sum(len(name) + len(value) for name, value in fields) > KEPT_BYTES:
            return False
        request.session[SESSION_KEY] = {"path": request.get_full_path(), "fields": fields}
        request.session.set_expiry(settings.SESSION_COOKIE_AGE)
        return True
