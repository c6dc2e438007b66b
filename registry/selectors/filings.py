"""Reads of filings (备案): the caller's filings with their sections, and the files of a page of them."""

from django.contrib.contenttypes.models import ContentType
from django.db.models import Prefetch

from luchen_care.documents.models import IssuedDocument
from luchen_care.files.models import StoredFile

from ..models import Filing, FilingKind, FilingSection, FilingStatus, InstitutionStatus
from ..models.filings import FINAL


def filing_kinds_openable(*, institution) -> list[str]:
    """The kinds of filing ``institution`` may open now (``filing_open`` decides again): none while one
    is open or once it is closed; a change or its closure once it has filed; otherwise its filing, and
    its closure too when it filed on paper before the platform."""
    filings = Filing.objects.filter(institution=institution)
    if institution.status == InstitutionStatus.CLOSED or filings.exclude(status__in=FINAL).exists():
        return []
    if filings.filter(status=FilingStatus.FILED).exclude(kind=FilingKind.CLOSURE).exists():
        return [FilingKind.CHANGE, FilingKind.CLOSURE]
    if institution.status != InstitutionStatus.REGISTERED:
        return [FilingKind.INITIAL, FilingKind.CLOSURE]
    return [FilingKind.INITIAL]


def filing_list(*, user):
    """The filings ``user`` sees (``Filing.objects.visible_to``), each with its institution and its
    sections in order; read a page's files with ``filings_with_files``."""
    return (
        Filing.objects.visible_to(user)
        .select_related("institution__street")
        .prefetch_related(Prefetch("sections", queryset=FilingSection.objects.order_by("position", "pk")))
    )


def filings_with_files(filings, *, document_kinds):
    """``filings`` (already read, sections prefetched), each section given ``current_materials`` (its
    files not replaced, oldest first) and each filing ``issued_documents`` (newest first): two
    queries for the whole page, whatever its size. ``document_kinds``: the kinds of document a filing
    has (``registry.services.filing_documents.FILING_DOCUMENT_KINDS``). Returns the list."""
    filings = list(filings)
    sections = [section for filing in filings for section in filing.sections.all()]
    materials = {section.pk: [] for section in sections}
    if sections:
        files = StoredFile.objects.filter(
            subject_type=ContentType.objects.get_for_model(FilingSection),
            subject_id__in=list(materials),
            superseded_by__isnull=True,
        ).order_by("uploaded_at", "pk")
        for stored in files:
            materials[stored.subject_id].append(stored)
    for section in sections:
        section.current_materials = materials[section.pk]
    documents = {filing.pk: [] for filing in filings}
    if filings:
        issued = (
            IssuedDocument.objects.filter(
                subject_type=ContentType.objects.get_for_model(Filing),
                subject_id__in=list(documents),
                kind__in=[kind.key for kind in document_kinds],
            )
            .defer("content")
            .order_by("-issued_at", "-pk")
        )
        for document in issued:
            documents[document.subject_id].append(document)
    for filing in filings:
        filing.issued_documents = documents[filing.pk]
    return filings


def filing_document(*, filing, document_id, document_kinds):
    """The issued document ``document_id`` of ``filing`` (a filing the caller sees), else ``None``."""
    return IssuedDocument.objects.filter(
        subject_type=ContentType.objects.get_for_model(Filing),
        subject_id=filing.pk,
        kind__in=[kind.key for kind in document_kinds],
        pk=document_id,
    ).first()
