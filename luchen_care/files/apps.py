from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FilesConfig(AppConfig):
    """Uploaded files (licences, certificates, reports, photos), for every app.

    It knows no domain app: a file belongs to any scoped record (its subject) and is visible as that
    record is; the owning app names its purpose (``"registry.business_licence"``). Files are checked
    by content (``validators.validate_upload``), kept on the ``uploads`` storage (local disk under
    MEDIA_ROOT/uploads/, or S3-compatible object storage), never on a public URL, and downloaded only
    through ``files:download``, which checks scope and writes the access log.
    """

    name = "luchen_care.files"
    label = "files"
    verbose_name = _("Uploaded files")
