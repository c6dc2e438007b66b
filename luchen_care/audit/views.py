"""Downloads of uploaded documents, logged.

No page serves an uploaded file back yet (an import's file is kept, not offered; there is no
public media URL). A later view that does (a licence, a certificate, a report) checks the scope
of the record first, then answers with ``logged_download``: the file as an attachment, and one
entry of the access log naming the record.
"""

import os

from django.http import FileResponse

from .models import AccessAction, Face
from .services import personal_data_access_record


def logged_download(request, *, record, field_file, filename=None, county=None):
    """``field_file`` (a FileField's file on ``record``, which the caller has checked ``request.user``
    may see) as an attachment, with its download recorded (``county``: the record's county)."""
    name = filename or os.path.basename(field_file.name)
    response = FileResponse(field_file.open("rb"), as_attachment=True, filename=name)
    personal_data_access_record(
        request=request,
        face=Face.DOWNLOAD,
        action=AccessAction.DOWNLOAD,
        record_type=type(record),
        records=[(record.pk, f"{record} ({name})")],
        counties=[county],
    )
    return response
