"""Reads of issued documents: the public check by code, a record's documents, a document's file."""

from django.contrib.contenttypes.models import ContentType

from .codes import code_normalize
from .models import IssuedDocument


def document_by_code(code: str) -> IssuedDocument | None:
    """The document issued with ``code`` (as typed: spaces, hyphens and case ignored), or ``None``.

    The public verification page's lookup: whoever holds the paper holds its code, so the row is
    found without scope; the page shows its public summary alone.
    """
    normalized = code_normalize(code)
    if normalized is None:
        return None
    return IssuedDocument.objects.filter(code=normalized).defer("content").first()


def document_latest(*, subject, kind) -> IssuedDocument | None:
    """The latest document of ``kind`` (a ``DocumentKind`` or its key) issued about ``subject``, or ``None``."""
    key = getattr(kind, "key", kind)
    return (
        IssuedDocument.objects.filter(
            subject_type=ContentType.objects.get_for_model(type(subject)), subject_id=subject.pk, kind=key
        )
        .order_by("-issued_at", "-id")
        .first()
    )


def document_file(document: IssuedDocument) -> bytes:
    """The PDF exactly as issued (its SHA-256 is ``document.sha256``)."""
    return bytes(document.content)
