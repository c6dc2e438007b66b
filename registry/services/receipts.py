"""The registration receipt (登记回执): the platform's acknowledgement that a registration reached it.

One receipt per registration. A registration is never changed once recorded, and the receipt
prints only what was recorded (not the push status, which moves), so the first request issues it
and every later one serves the same file: each copy has the same verification code and the same
SHA-256, and the verification page never lists duplicates of one receipt.

The legal representative's name is masked on it (张*): the paper is handed around, and the
institution's name and codes are what it acknowledges.
"""

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from luchen_care.core.masking import mask_name
from luchen_care.documents.layout import Document
from luchen_care.documents.selectors import document_latest
from luchen_care.documents.services import DocumentKind, document_issue, issued_on_text

from ..models import Registration

REGISTRATION_RECEIPT = DocumentKind("registry.registration_receipt", gettext_lazy("Registration receipt"))


def registration_receipt_document(registration) -> Document:
    """What the receipt of ``registration`` says (in the active language; the service sets Chinese)."""
    data = registration.data or {}
    institution = registration.institution
    street = institution.street
    document = Document(title=_("Childcare institution registration receipt"))
    document.paragraph(
        _(
            "The platform has received the registration below from the registration authority, "
            "and acknowledges it with this receipt."
        )
    )
    document.fields(
        [
            (_("institution name"), data.get("institution_name") or institution.name),
            (_("unified social credit code"), data.get("credit_code") or institution.credit_code),
            (_("registration authority"), registration.get_authority_display()),
            (_("registration number"), registration.registration_number),
            (_("kind of registration"), registration.get_kind_display()),
            (_("registered on"), issued_on_text(registration.registered_on)),
            (_("street or town"), street.name),
            (_("address"), data.get("address") or institution.address),
            (
                _("legal representative"),
                mask_name(data.get("legal_representative") or institution.legal_representative),
            ),
            (_("received by the platform on"), issued_on_text(timezone.localdate(registration.created_at))),
        ]
    )
    document.paragraph(
        _("The institution must file with the health bureau before it takes in children, as the rules require.")
    )
    document.note(
        _(
            "This receipt shows that the registration reached the platform; it is not a filing, a licence "
            "or an approval. Personal names are partly hidden."
        )
    )
    return document


@transaction.atomic
def registration_receipt(*, actor, registration) -> tuple:
    """The receipt of ``registration`` for ``actor``: ``(document, issued)``, issued now or before.

    ``actor`` must see the registration (``Registration.objects.visible_to``): otherwise
    ``Registration.DoesNotExist`` (a 404 for the face). What changes in the world: the first
    time, one issued document (``luchen_care.documents``) in the name of the institution's county,
    by ``actor``; afterwards nothing: the same document is returned. The registration's row is
    locked while it is decided, so two simultaneous first requests issue one receipt.
    """
    registration = (
        Registration.objects.visible_to(actor)
        .select_for_update(of=("self",))
        .select_related("institution__street__county")
        .get(pk=registration.pk)
    )
    existing = document_latest(subject=registration, kind=REGISTRATION_RECEIPT)
    if existing is not None:
        return existing, False
    institution = registration.institution
    with translation.override("zh-hans"):
        document = registration_receipt_document(registration)
        name = registration.data.get("institution_name") or institution.name
    issued = document_issue(
        actor=actor,
        kind=REGISTRATION_RECEIPT,
        county=institution.street.county,
        subject=registration,
        document=document,
        number=registration.registration_number,
        institution=name,
    )
    return issued, True
