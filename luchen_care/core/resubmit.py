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
NOT_KEPT = {"csrfmiddlewaretoken", "username", "password", "password1", "password2", "old_password"}


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
        fields = [(name, value) for name, values in request.POST.lists() if name not in NOT_KEPT for value in values]
        if sum(len(name) + len(value) for name, value in fields) > KEPT_BYTES:
            return False
        request.session[SESSION_KEY] = {"path": request.get_full_path(), "fields": fields}
        request.session.set_expiry(settings.SESSION_COOKIE_AGE)
        return True
