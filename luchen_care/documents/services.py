"""Issuing a document: the one way the platform produces a PDF (receipts, notices, decisions, reports)."""

import hashlib
import logging
from dataclasses import dataclass

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.functional import Promise

from luchen_care.regions.branding import county_branding

from .codes import code_display, code_new
from .fonts import missing_characters
from .layout import Document, Imprint, render
from .models import IssuedDocument

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DocumentKind:
    """A kind of document an app issues: its key (``registry.registration_receipt``) and its name."""

    key: str
    label: str | Promise  # gettext_lazy: printed and shown in Chinese


def issued_on_text(day) -> str:
    """2026年12月4日: a date as Chinese documents print it."""
    return f"{day.year}年{day.month}月{day.day}日"


def verification_url(code: str) -> str:
    """The absolute URL of the verification page of ``code`` (``PUBLIC_BASE_URL`` and /verify/<code>/)."""
    return settings.PUBLIC_BASE_URL.rstrip("/") + reverse("documents:verify", args=[code])


def _unused_code() -> str:
    # 80 random bits: a collision is not expected in the platform's lifetime; checked all the same.
    for _attempt in range(5):
        code = code_new()
        if not IssuedDocument.objects.filter(code=code).exists():
            return code
    raise RuntimeError("could not draw an unused verification code")


@transaction.atomic
def document_issue(
    *, actor, kind: DocumentKind, county, subject, document: Document, number: str = "", institution: str = ""
) -> IssuedDocument:
    """Issue ``document`` in ``county``'s name about ``subject``; return its row, the PDF in ``content``.

    What changes in the world: one ``IssuedDocument`` row (and its history row, by ``actor``) with a
    fresh verification code, the issuing county and body, the time, the file's SHA-256 and the file
    itself. From then on /verify/<code>/ confirms the document and shows its public summary: the
    kind, title, ``number``, issuing body, date and ``institution`` (the institution's name, when the
    document is about one). Nothing else is public, so the summary has no free-form part: personal
    data the document prints (a masked name) never reaches it.

    The PDF is Chinese whatever the requester's language: A4, the vendored font embedded, the
    verification code, the issuing body, the verification URL and its QR code and the page numbers
    on every page.
    """
    if county is None:
        raise ValidationError({"county": "A document is issued in a county's name; none was given."})
    if subject is None or subject.pk is None:
        raise ValidationError({"subject": "A document is about a saved record; none was given."})
    issued_at = timezone.now()
    code = _unused_code()
    with translation.override("zh-hans"):
        branding = county_branding(county)
        issued_on = issued_on_text(timezone.localdate(issued_at))
        imprint = Imprint(
            issuer=branding.issuer_zh,
            platform=branding.platform_name_zh,
            code=code_display(code),
            verify_url=verification_url(code),
            number=number,
            issued_on=issued_on,
        )
        missing = missing_characters(document.text() + imprint.issuer + institution)
        if missing:
            # Printed as boxes: the subset lacks them (scripts/subset_cjk_font.py, EXTRA_HANZI).
            logger.warning("document %s: the font has no glyph for %s", kind.key, "".join(sorted(missing)))
        pdf = render(document, imprint)
        summary = {
            "kind": str(kind.label),
            "title": document.title,
            "number": number,
            "issuer": imprint.issuer,
            "issued_on": issued_on,
            "institution": institution,
        }
    issued = IssuedDocument(
        code=code,
        kind=kind.key,
        title=document.title,
        number=number,
        county=county,
        issuer=imprint.issuer,
        subject_type=ContentType.objects.get_for_model(type(subject)),
        subject_id=subject.pk,
        issued_at=issued_at,
        issued_by=actor if getattr(actor, "is_authenticated", False) else None,
        sha256=hashlib.sha256(pdf).hexdigest(),
        public_summary=summary,
        content=pdf,
        size=len(pdf),
    )
    issued.full_clean()
    if issued.issued_by is not None:
        issued._history_user = actor
    issued.save()
    return issued
