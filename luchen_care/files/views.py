"""The one way a stored file leaves the platform: ``files:download``, scoped and logged.

Signed-in users only (anyone else is sent to a sign-in page, before any lookup). A file the user may
not see, and a UUID that names no file, both answer 404: the URL discloses nothing. The file is sent
as an attachment under its uploaded name, with the content type its content was judged to be, never
sniffed by the browser, never cached; each download is one entry of the personal-data access log.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import FileResponse, Http404
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET

from luchen_care.audit.models import AccessAction, Face
from luchen_care.audit.services import personal_data_access_record

from .models import StoredFile
from .selectors import stored_file_for_download, stored_file_subject_county

PORTAL_PREFIX = "/portal/"


def _sign_in(request):
    """The portal's sign-in for a link followed from a portal page, else the staff sign-in."""
    referer = request.headers.get("Referer", "")
    from_portal = url_has_allowed_host_and_scheme(referer, allowed_hosts={request.get_host()}) and urlsplit(
        referer
    ).path.startswith(PORTAL_PREFIX)
    return redirect_to_login(request.get_full_path(), "portal:login" if from_portal else settings.LOGIN_URL)


@require_GET
def download(request, public_id):
    if not request.user.is_authenticated:
        return _sign_in(request)
    stored = stored_file_for_download(viewer=request.user, public_id=public_id)
    if stored is None:
        raise Http404
    try:
        handle = stored.file.open("rb")
    except OSError as exc:  # the row is there, its file is not (a restore without its media)
        raise Http404 from exc
    response = FileResponse(handle, as_attachment=True, filename=stored.original_name, content_type=stored.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Length"] = str(stored.size)
    personal_data_access_record(
        request=request,
        face=Face.DOWNLOAD,
        action=AccessAction.DOWNLOAD,
        record_type=StoredFile,
        records=[(stored.pk, f"{stored.subject or stored.subject_type.name} · {stored.original_name}")],
        counties=[stored_file_subject_county(stored)],
    )
    return response
