from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DocumentsConfig(AppConfig):
    """The platform's PDF documents (receipts, notices, decisions, reports) and their public check.

    Cross-cutting: it knows no domain app. An app that issues a document builds it with
    ``layout.Document`` and issues it with ``services.document_issue``; whoever holds the paper can
    check it at /verify/.
    """

    name = "luchen_care.documents"
    label = "documents"
    verbose_name = _("Documents")

    def ready(self):
        from . import checks  # noqa: F401  (registers the deploy check of PUBLIC_BASE_URL)
