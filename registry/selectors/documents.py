"""Reads of an institution's own documents, through ``luchen_care.files``' scoped selectors."""

from dataclasses import dataclass, field

from luchen_care.files.selectors import stored_files_with_history

from ..models import InstitutionDocument


@dataclass
class DocumentRow:
    """A current file, what it is, and the files it replaced (newest first)."""

    file: object
    label: str
    earlier: list = field(default_factory=list)


def institution_documents(*, institution, viewer):
    """``institution``'s current documents that ``viewer`` may see, by purpose (in the order of
    ``InstitutionDocument``), then newest first, each with the files it replaced."""
    labels = dict(InstitutionDocument.choices)
    order = {value: index for index, value in enumerate(InstitutionDocument.values)}
    rows = [
        DocumentRow(file=file, label=labels[file.purpose], earlier=earlier)
        for file, earlier in stored_files_with_history(subject=institution, viewer=viewer)
        if file.purpose in labels
    ]
    rows.sort(key=lambda row: order[row.file.purpose])  # stable: newest first within a purpose
    return rows


def institution_document_current(*, institution, viewer, public_id):
    """The current document ``public_id`` of ``institution`` that ``viewer`` may see, else ``None``."""
    for row in institution_documents(institution=institution, viewer=viewer):
        if str(row.file.public_id) == str(public_id):
            return row.file
    return None
