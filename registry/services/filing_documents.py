"""The documents and notices of a filing's decisions.

- Approval: the filing receipt (备案回执) and the notice of basic conditions (基本条件告知书).
- Return and rejection: a notice with the reasons (备案材料补正通知书 / 不予备案通知书).

Each is an issued document (``luchen_care.documents``: verification code, the county's name, the
PDF kept) about the filing, and the institution is told in its portal inbox (and by SMS where a
gateway is configured) through the outbox, once per step: the notice's subject is the step's
``FilingTransition`` row, so a second return sends a second notice.
"""

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from luchen_care.core.masking import mask_name
from luchen_care.documents.layout import Document
from luchen_care.documents.services import DocumentKind, document_issue, issued_on_text
from luchen_care.exchange.services import person_notice_enqueue

from ..models import FilingKind, FilingStep, SectionStatus

FILING_RECEIPT = DocumentKind("registry.filing_receipt", gettext_lazy("Filing receipt"))
BASIC_CONDITIONS = DocumentKind("registry.filing_basic_conditions", gettext_lazy("Notice of basic conditions"))
FILING_RETURN_NOTICE = DocumentKind("registry.filing_return_notice", gettext_lazy("Notice to complete a filing"))
FILING_REJECTION_NOTICE = DocumentKind("registry.filing_rejection_notice", gettext_lazy("Notice of filing refused"))

#: Every kind a filing's documents are, for lists and downloads.
FILING_DOCUMENT_KINDS = (FILING_RECEIPT, BASIC_CONDITIONS, FILING_RETURN_NOTICE, FILING_REJECTION_NOTICE)

NOTICE_TOPIC = "registry.filing_decision"


def _institution_fields(filing):
    institution = filing.institution
    return [
        (_("institution name"), institution.name),
        (_("unified social credit code"), institution.credit_code),
        (_("street or town"), institution.street.name),
        (_("address"), institution.address),
        (_("legal representative"), mask_name(institution.legal_representative)),
    ]


def filing_receipt_document(filing) -> Document:
    document = Document(title=_("Childcare institution filing receipt"))
    document.paragraph(
        _("The filing below has been received and recorded. The institution is filed under this number.")
        if filing.kind != FilingKind.CLOSURE
        else _("The closure filing below has been received and recorded; the institution is closed.")
    )
    document.fields(
        [
            (_("filing number"), filing.number),
            (_("kind of filing"), filing.get_kind_display()),
            *_institution_fields(filing),
            (_("submitted on"), issued_on_text(filing.clock_started_on) if filing.clock_started_on else "—"),
            (_("filed on"), issued_on_text(filing.decided_at.date())),
            (_("reviewed by"), filing.get_review_body_display()),
        ]
    )
    document.note(
        _(
            "Filing records that the institution declared it meets the basic conditions; the bureau supervises "
            "them afterwards. Personal names are partly hidden."
        )
    )
    return document


def basic_conditions_document(filing) -> Document:
    document = Document(title=_("Notice of the basic conditions of childcare institutions"))
    document.paragraph(
        _(
            "%(name)s: your filing %(number)s is recorded. A childcare institution must keep to the following "
            "basic conditions at all times, and report any change at once."
        )
        % {"name": filing.institution.name, "number": filing.number}
    )
    document.table(
        [_("area"), _("what is required")],
        [
            [_("Premises"), _("Own premises, or a lease of at least three years; safe, and used only for childcare.")],
            [_("Staff"), _("Qualified caregivers, health and security staff, each with a health certificate.")],
            [_("Safety and hygiene"), _("A hygiene evaluation rated 合格, a fire-safety pass, video surveillance.")],
            [_("Food"), _("A food business licence when meals are served.")],
            [_("Fees"), _("Fees published; public and inclusive institutions within the government-guided range.")],
        ],
    )
    document.note(_("Changes of registration or closure are filed online at once."))
    return document


def notice_document(filing, transition) -> Document:
    returned = transition.name == FilingStep.RETURN
    document = Document(title=_("Notice to complete a filing") if returned else _("Notice of filing refused"))
    document.fields(_institution_fields(filing))
    if returned:
        document.paragraph(_("Your filing does not yet comply. Change the sections below and submit it again."))
        rows = [
            [section.get_key_display(), section.review_comment]
            for section in filing.sections.all()
            if section.status == SectionStatus.RETURNED
        ]
        document.table([_("section"), _("what to change")], rows)
    else:
        document.paragraph(_("Your filing is refused, for these reasons:"))
        document.paragraph(transition.comment)
    return document


def _issue(filing, actor, kind, document):
    """One document about ``filing``, in its county's name, under its number (if it has one)."""
    return document_issue(
        actor=actor,
        kind=kind,
        county=filing.institution.street.county,
        subject=filing,
        document=document,
        number=filing.number,
        institution=filing.institution.name,
    )


def filing_approval_documents(*, filing, transition, actor) -> list:
    """Issue the receipt and the notice of basic conditions of the approved ``filing`` (a closure
    filing: the receipt only), and tell the institution. Returns the issued documents."""
    with translation.override("zh-hans"):
        issued = [_issue(filing, actor, FILING_RECEIPT, filing_receipt_document(filing))]
        if filing.kind != FilingKind.CLOSURE:
            issued.append(_issue(filing, actor, BASIC_CONDITIONS, basic_conditions_document(filing)))
        _tell(
            filing,
            transition,
            title=_("Your filing is approved: %(number)s") % {"number": filing.number},
            text=_("Filing %(number)s of %(name)s is approved. Download the receipt in the portal.")
            % {"number": filing.number, "name": filing.institution.name},
        )
    return issued


def filing_notice_send(*, filing, transition, actor):
    """Issue the notice of a return or rejection (``transition``) and tell the institution."""
    returned = transition.name == FilingStep.RETURN
    with translation.override("zh-hans"):
        kind = FILING_RETURN_NOTICE if returned else FILING_REJECTION_NOTICE
        issued = _issue(filing, actor, kind, notice_document(filing, transition))
        _tell(
            filing,
            transition,
            title=_("Your filing was returned for changes") if returned else _("Your filing was refused"),
            text=(
                _("The bureau returned the filing of %(name)s: see its comments in the portal and submit again.")
                if returned
                else _("The bureau refused the filing of %(name)s. The reasons are in the portal.")
            )
            % {"name": filing.institution.name},
        )
    return issued


def _tell(filing, transition, *, title, text):
    institution = filing.institution
    person_notice_enqueue(
        topic=NOTICE_TOPIC,
        subject=transition,
        title=title,
        text=text,
        phone=institution.contact_phone,
        destination=institution.street.county.code,
        label=institution.name,
    )
