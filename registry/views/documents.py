"""The institution's own documents in the portal (/portal/documents/): list, upload, replace.

Only its own institution's files are listed; each is downloaded through ``files:download``.
"""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from luchen_care.portal.access import institution_required

from ..forms.documents import InstitutionDocumentForm
from ..selectors.documents import institution_documents
from ..services.documents import institution_document_save


@institution_required
def documents(request):
    institution = request.user.institution
    form = InstitutionDocumentForm(institution=institution, viewer=request.user)
    if request.method == "POST":
        form = InstitutionDocumentForm(request.POST, request.FILES, institution=institution, viewer=request.user)
        if form.is_valid():
            try:
                stored = institution_document_save(
                    actor=request.user,
                    institution=institution,
                    purpose=form.cleaned_data["purpose"],
                    upload=form.cleaned_data["file"],
                    replaces=form.cleaned_data["replaces"],
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                replaced = form.cleaned_data["replaces"]
                if replaced:
                    message = _("“%(new)s” replaces “%(old)s”; the earlier file stays in the history.") % {
                        "new": stored.original_name,
                        "old": replaced.original_name,
                    }
                else:
                    message = _("“%(name)s” is uploaded.") % {"name": stored.original_name}
                messages.success(request, message)
                return redirect("registry_portal:documents")
    replacing = str(form.data.get("replaces", "")) if form.is_bound else ""
    context = {
        "title": _("Licences and certificates"),
        "rows": institution_documents(institution=institution, viewer=request.user),
        "form": form,
        # A refused replacement shows its errors on its own row; a refused upload, on the upload form.
        "replacing": replacing,
        "upload_limit": settings.UPLOAD_MAX_BYTES,
    }
    return render(request, "registry/portal/documents.html", context, status=400 if form.errors else 200)
