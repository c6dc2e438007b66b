"""The public verification page: anyone holding a document checks that it is genuine.

It shows only what the document itself prints and may be public (``IssuedDocument.public_summary``)
and the file's SHA-256; never personal data, whoever asks. Look-ups are limited per address
(``throttle``): over the limit the page answers 429 and says when to try again.
"""

from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from .codes import code_display, code_normalize
from .forms import VerificationCodeForm
from .models import PUBLIC_FIELDS
from .selectors import document_by_code
from .throttle import verification_allowed, verification_window_minutes


def _labels():
    return {
        "kind": _("Kind of document"),
        "title": _("Title"),
        "number": _("Document number"),
        "issuer": _("Issued by"),
        "issued_on": _("Issued on"),
        "institution": _("Institution"),
    }


def _page(request, *, status, form=None, **context):
    response = render(
        request,
        "documents/verify.html",
        {"form": form or VerificationCodeForm(), "title": _("Verify a document"), **context},
        status=status,
    )
    response["X-Robots-Tag"] = "noindex"
    response["Cache-Control"] = "no-store"
    return response


def _too_many(request):
    return _page(
        request,
        status=429,
        outcome="throttled",
        message=_("Too many checks from your address. Wait %(minutes)s minutes and try again.")
        % {"minutes": verification_window_minutes()},
    )


@require_GET
def verify_form(request):
    """/verify/: type a code (or send ?code=…); a valid one goes to its page, a malformed one is named."""
    if "code" not in request.GET:
        return _page(request, status=200)
    form = VerificationCodeForm(request.GET)
    if form.is_valid():
        return redirect("documents:verify", code=form.cleaned_data["code"])
    return _page(request, status=400, form=form, outcome="malformed")


@require_GET
def verify_code(request, code):
    """/verify/<code>/: genuine (200, with the public summary and the hash), unknown (404) or malformed (400)."""
    if not verification_allowed(request):
        return _too_many(request)
    normalized = code_normalize(code)
    if normalized is None:
        form = VerificationCodeForm({"code": code})
        form.is_valid()
        return _page(request, status=400, form=form, outcome="malformed", typed=code[:40])
    if normalized != code:
        return redirect("documents:verify", code=normalized)
    document = document_by_code(normalized)
    if document is None:
        shown = code_display(normalized)
        form = VerificationCodeForm(initial={"code": shown})  # to correct a typing slip in place
        return _page(request, status=404, form=form, outcome="unknown", code=shown)
    labels = _labels()
    summary = [
        (labels[name], document.public_summary[name]) for name in PUBLIC_FIELDS if document.public_summary.get(name)
    ]
    return _page(
        request,
        status=200,
        outcome="genuine",
        code=document.display_code,
        summary=summary,
        sha256=document.sha256,
    )
