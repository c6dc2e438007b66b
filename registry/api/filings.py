"""``/api/v1/filings/``: filings (备案) the caller sees, and filing through the API.

Reading is scoped like every other list (``Filing.objects.visible_to``; another institution's filing
is a 404). Filing is for the institution's own users and for API clients granted filing
(``User.grant_filing``), for the institutions their scope reaches (``registry.permissions.can_file_for``),
with the portal's rules: the same section forms (``SECTION_FORMS``) and the same services. The
bureau's review is not in the API.
"""

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpResponse
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import exceptions, mixins, permissions, renderers, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.settings import api_settings

from luchen_care.accounts.models import Role
from luchen_care.audit.models import AccessAction, Face
from luchen_care.audit.services import personal_data_access_record
from luchen_care.core.api.errors import error_body
from luchen_care.core.api.filters import MAX_ID, FilterSet, IdFilter
from luchen_care.core.api.forms import form_input
from luchen_care.core.masking import mask_name, masked, reads_personal_data
from luchen_care.documents.selectors import document_file

from ..forms.filings import SECTION_FORMS
from ..models import Filing, FilingKind, FilingMaterial, FilingSection, FilingStatus, Institution, SectionKey
from ..permissions import can_file_for
from ..selectors.filings import filing_document, filing_list, filings_with_files
from ..services.filing_documents import FILING_DOCUMENT_KINDS
from ..services.filings import (
    filing_material_upload,
    filing_open,
    filing_section_save,
    filing_submit,
    filing_withdraw,
)

# Names in a section's data that name a person: masked like the legal representative.
PERSONAL_NAMES = ("contact_person", "signatory")


def _absolute(request, path):
    return request.build_absolute_uri(path) if request is not None else path


# --- what is read ------------------------------------------------------------------------------


class FilingMaterialSerializer(serializers.Serializer):
    """One uploaded material of a section (its current file of that purpose)."""

    purpose = serializers.ChoiceField(choices=FilingMaterial.choices)
    name = serializers.CharField(source="original_name", help_text="The file's name as uploaded.")
    content_type = serializers.CharField()
    size = serializers.IntegerField(help_text="In bytes.")
    sha256 = serializers.CharField()
    uploaded_at = serializers.DateTimeField()
    download_url = serializers.SerializerMethodField(help_text="The file (files:download: scoped, logged).")

    def get_download_url(self, stored) -> str:
        return _absolute(self.context.get("request"), reverse("files:download", args=[stored.public_id]))


class FilingSectionSerializer(serializers.ModelSerializer):
    """One section: what the institution entered (``data``, as its form cleaned it), its status,
    the reviewer's comment and its materials."""

    label = serializers.CharField(source="get_key_display", read_only=True)
    data = serializers.SerializerMethodField(help_text="The section's fields as its form accepted them.")
    editable = serializers.BooleanField(read_only=True, help_text="The institution may change it now.")
    materials = serializers.SerializerMethodField()

    class Meta:
        model = FilingSection
        fields = ["key", "label", "status", "editable", "review_comment", "data", "materials"]
        read_only_fields = fields

    @extend_schema_field({"type": "object", "additionalProperties": True})
    def get_data(self, section):
        request = self.context.get("request")
        user = getattr(request, "user", None)
        data = masked(dict(section.data or {}), user)
        if not reads_personal_data(user):
            for name in PERSONAL_NAMES:
                if isinstance(data.get(name), str):
                    data[name] = mask_name(data[name])
        return data

    @extend_schema_field(FilingMaterialSerializer(many=True))
    def get_materials(self, section):
        files = getattr(section, "current_materials", [])
        return FilingMaterialSerializer(files, many=True, context=self.context).data


class FilingDocumentSerializer(serializers.Serializer):
    """A document issued about the filing: the receipt, the notice of basic conditions, a notice."""

    id = serializers.IntegerField()
    kind = serializers.CharField(help_text="registry.filing_receipt, registry.filing_basic_conditions, …")
    title = serializers.CharField()
    number = serializers.CharField()
    code = serializers.CharField(source="display_code", help_text="The verification code printed on it.")
    issued_at = serializers.DateTimeField()
    sha256 = serializers.CharField()
    verification_url = serializers.SerializerMethodField(help_text="The public verification page of the code.")
    download_url = serializers.SerializerMethodField(help_text="The PDF, for whoever sees the filing.")

    def get_verification_url(self, document) -> str:
        return _absolute(self.context.get("request"), reverse("documents:verify", args=[document.code]))

    def get_download_url(self, document) -> str:
        path = reverse("api:filing-document", kwargs={"pk": document.subject_id, "document_id": document.pk})
        return _absolute(self.context.get("request"), path)


class FilingInstitutionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class FilingDeadlinesSerializer(serializers.Serializer):
    """The bureau's two legal deadlines, in working days from the day after the latest submission."""

    receipt = serializers.DateField(
        source="receipt_deadline", allow_null=True, help_text="Receipt due (5 working days)."
    )
    notice = serializers.DateField(
        source="notice_deadline", allow_null=True, help_text="Notice of non-compliance due (15 working days)."
    )
    provisional = serializers.BooleanField(
        source="deadlines_provisional", help_text="Counted Monday to Friday: that year's holidays are not known yet."
    )


class FilingSerializer(serializers.ModelSerializer):
    """A filing (备案), change filing (变更) or closure filing (注销) of an institution, in sections."""

    institution = FilingInstitutionSerializer(read_only=True)
    deadlines = FilingDeadlinesSerializer(source="*", read_only=True)
    sections = FilingSectionSerializer(many=True, read_only=True)
    documents = serializers.SerializerMethodField()

    class Meta:
        model = Filing
        fields = [
            "id",
            "status",
            "kind",
            "institution",
            "review_body",
            "number",
            "submitted_at",
            "deadlines",
            "fee_above_guided",
            "sections",
            "documents",
            "created_at",
        ]
        read_only_fields = fields

    @extend_schema_field(FilingDocumentSerializer(many=True))
    def get_documents(self, filing):
        documents = getattr(filing, "issued_documents", [])
        return FilingDocumentSerializer(documents, many=True, context=self.context).data


class FilingFilter(FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=FilingStatus.choices, distinct=False)
    kind = django_filters.ChoiceFilter(choices=FilingKind.choices)
    review_body = django_filters.ChoiceFilter(choices=Filing.REVIEW_BODIES)
    institution = IdFilter(field_name="institution_id", label=_("Institution (id)"))
    receipt_deadline_from = django_filters.DateFilter(field_name="receipt_deadline", lookup_expr="gte")
    receipt_deadline_to = django_filters.DateFilter(field_name="receipt_deadline", lookup_expr="lte")

    class Meta:
        model = Filing
        fields = ["status", "kind", "review_body", "institution", "fee_above_guided", "number"]


# --- what is sent ------------------------------------------------------------------------------


class FilingOpenSerializer(serializers.Serializer):
    """Open a filing of an institution you file for; it starts as a draft with every section."""

    institution = serializers.IntegerField(min_value=1, max_value=MAX_ID, help_text="The institution's id.")
    kind = serializers.ChoiceField(choices=FilingKind.choices, default=FilingKind.INITIAL)
    reopen = serializers.ListField(
        child=serializers.ChoiceField(choices=SectionKey.choices),
        required=False,
        max_length=len(SectionKey.choices),
        help_text="A change filing: the sections that change (the others stay as accepted, with their materials).",
    )

    def validate_institution(self, value):
        user = self.context["request"].user
        institution = Institution.objects.visible_to(user).filter(pk=value).select_related("street").first()
        if institution is None or not can_file_for(user, institution):
            raise serializers.ValidationError(_("Choose an institution you file for."))
        return institution


class FilingSectionInputSerializer(serializers.Serializer):
    """A section's fields (those of its form: ``GET`` the filing for the keys) and whether it is done.

    ``complete: true`` checks every field and that the section's required materials are uploaded,
    and the section becomes complete; ``false`` keeps a draft of what was sent."""

    data = serializers.DictField(help_text="The section's fields, by name, as the portal's form takes them.")
    complete = serializers.BooleanField(default=True)


class FilingMaterialInputSerializer(serializers.Serializer):
    """A material of the section: what it is, and the file (PDF, JPEG or PNG)."""

    purpose = serializers.ChoiceField(choices=FilingMaterial.choices)
    file = serializers.FileField(help_text="A PDF, JPEG or PNG; its type is judged by its content.")


class FilingWithdrawSerializer(serializers.Serializer):
    comment = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


# --- who may file ------------------------------------------------------------------------------


def files_through_api(user) -> bool:
    """The roles that file: institution users, and API clients granted filing (``User.grant_filing``)."""
    if user.role == Role.INSTITUTION:
        return bool(user.institution_id)
    return user.role == Role.API_CLIENT and bool(getattr(user, "grant_filing", False))


class FilingWritePermission(permissions.BasePermission):
    message = _("Only an institution's own users, and API clients granted filing, file through the API.")

    def has_permission(self, request, view):
        return request.method in permissions.SAFE_METHODS or files_through_api(request.user)

    def has_object_permission(self, request, view, obj):
        return request.method in permissions.SAFE_METHODS or can_file_for(request.user, obj.institution)


class WhateverAccepted(BaseContentNegotiation):
    """A document's PDF is sent whatever the client accepts (``Accept: application/pdf`` included),
    and an error is the API's JSON: no negotiation, no 406."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


SECTION_KEY = OpenApiParameter(
    "key", str, OpenApiParameter.PATH, enum=list(SectionKey.values), description="The section's key."
)
DOCUMENT_ID = OpenApiParameter("document_id", int, OpenApiParameter.PATH, description="The document's id.")


def _section_errors(exc, form):
    """The service's refusal, the section form's fields under ``data`` (as they were sent)."""
    errors = exc.message_dict if hasattr(exc, "error_dict") else {api_settings.NON_FIELD_ERRORS_KEY: exc.messages}
    fields = {}
    nested = {}
    for name, messages in errors.items():
        if name in form.fields:
            nested[name] = messages
        elif name == "__all__":
            nested[api_settings.NON_FIELD_ERRORS_KEY] = messages
        else:
            fields[name] = messages
    if nested:
        fields["data"] = nested
    return serializers.ValidationError(fields)


class FilingViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Filings (备案) the caller may see, with their sections, deadlines, number and documents.

    Institution users and API clients granted filing open, fill in, submit and withdraw their
    institutions' filings here, under the portal's rules.
    """

    serializer_class = FilingSerializer
    permission_classes = [permissions.IsAuthenticated, FilingWritePermission]
    filterset_class = FilingFilter
    search_fields = ["number", "institution__name"]
    ordering_fields = ["created_at", "submitted_at", "receipt_deadline", "id"]
    ordering = ["-created_at", "-id"]

    def get_queryset(self):
        return filing_list(user=self.request.user)

    def _read(self, request, filings, action):
        """``filings`` with their files, serialized; a page showing personal fields in full is logged."""
        filings = filings_with_files(filings, document_kinds=FILING_DOCUMENT_KINDS)
        if filings and reads_personal_data(request.user):
            personal_data_access_record(
                request=request,
                face=Face.API,
                action=action,
                record_type=Filing,
                records=[(f.pk, str(f)) for f in filings],
                counties=[f.institution.street.county_id for f in filings],
            )
        return self.get_serializer(filings, many=True).data

    def _fresh(self, request, filing, action=AccessAction.WRITE):
        (row,) = self._read(request, [self.get_queryset().get(pk=filing.pk)], action)
        return row

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(self._read(request, page, AccessAction.LIST))

    def retrieve(self, request, *args, **kwargs):
        (row,) = self._read(request, [self.get_object()], AccessAction.VIEW)
        return Response(row)

    @extend_schema(request=FilingOpenSerializer, responses={201: FilingSerializer})
    def create(self, request, *args, **kwargs):
        incoming = FilingOpenSerializer(data=request.data, context=self.get_serializer_context())
        incoming.is_valid(raise_exception=True)
        cleaned = incoming.validated_data
        reopen = cleaned.get("reopen") if cleaned["kind"] == FilingKind.CHANGE else None
        filing = filing_open(
            institution=cleaned["institution"], actor=request.user, kind=cleaned["kind"], reopen=reopen
        )
        return Response(self._fresh(request, filing), status=status.HTTP_201_CREATED)

    def _section(self, filing, key):
        section = next((s for s in filing.sections.all() if s.key == key), None)
        if section is None:
            raise Http404
        return section

    @extend_schema(
        request=FilingSectionInputSerializer, responses={200: FilingSectionSerializer}, parameters=[SECTION_KEY]
    )
    @action(detail=True, methods=["put"], url_path=r"sections/(?P<key>[a-z]+)", url_name="section")
    def section(self, request, *args, **kwargs):
        """Save a section through its form: complete (every field checked, required materials uploaded) or a draft.

        A 400 names each field under ``data``, or ``materials`` (what to upload) or ``status`` (the filing
        or section cannot be changed now); nothing is saved then."""
        filing = self.get_object()
        section = self._section(filing, kwargs["key"])
        incoming = FilingSectionInputSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        form = SECTION_FORMS[SectionKey(section.key)]()
        try:
            values = form_input(form, incoming.validated_data["data"])
        except serializers.ValidationError as exc:
            raise serializers.ValidationError({"data": exc.detail}) from None
        try:
            section = filing_section_save(
                section=section, actor=request.user, data=values, complete=incoming.validated_data["complete"]
            )
        except DjangoValidationError as exc:
            raise _section_errors(exc, form) from None
        (row,) = self._read(request, [self.get_queryset().get(pk=filing.pk)], AccessAction.WRITE)
        return Response(next(s for s in row["sections"] if s["key"] == section.key))

    @extend_schema(
        request={"multipart/form-data": FilingMaterialInputSerializer},
        responses={201: FilingMaterialSerializer},
        parameters=[SECTION_KEY],
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=r"sections/(?P<key>[a-z]+)/materials",
        url_name="section-materials",
        parser_classes=[MultiPartParser],
    )
    def materials(self, request, *args, **kwargs):
        """Upload a material of a section (multipart: ``purpose`` and ``file``); a draft or returned filing only.

        A 400 on ``file`` for a file that is not a sound PDF, JPEG or PNG (judged by its content) or too
        large, on ``purpose`` for a material the section does not take; nothing is kept then."""
        filing = self.get_object()
        section = self._section(filing, kwargs["key"])
        incoming = FilingMaterialInputSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        stored = filing_material_upload(
            section=section,
            actor=request.user,
            purpose=incoming.validated_data["purpose"],
            upload=incoming.validated_data["file"],
        )
        return Response(
            FilingMaterialSerializer(stored, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(request=None, responses={200: FilingSerializer})
    @action(detail=True, methods=["post"])
    def submit(self, request, *args, **kwargs):
        """Submit (a draft) or resubmit (a returned filing); every section must be complete.

        A 400 on ``sections`` names each section still missing; nothing changes then. Starts both
        deadlines from today (the day itself does not count)."""
        filing = filing_submit(filing=self.get_object(), actor=request.user)
        return Response(self._fresh(request, filing))

    @extend_schema(request=FilingWithdrawSerializer, responses={200: FilingSerializer})
    @action(detail=True, methods=["post"])
    def withdraw(self, request, *args, **kwargs):
        """Withdraw the filing before the bureau decides (with a comment, if you like); it stays, read-only."""
        filing = self.get_object()
        incoming = FilingWithdrawSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        filing = filing_withdraw(filing=filing, actor=request.user, comment=incoming.validated_data["comment"])
        return Response(self._fresh(request, filing))

    @extend_schema(
        parameters=[DOCUMENT_ID],
        responses={(200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="The PDF as issued.")},
    )
    @action(
        detail=True,
        methods=["get"],
        url_path=r"documents/(?P<document_id>[0-9]+)",
        url_name="document",
        renderer_classes=[renderers.JSONRenderer],
        content_negotiation_class=WhateverAccepted,
        filter_backends=[],
        pagination_class=None,
    )
    def document(self, request, *args, **kwargs):
        """A document issued about the filing (receipt, notice of basic conditions, a notice), as its PDF."""
        filing = self.get_object()
        document_id = int(kwargs["document_id"])
        if document_id > MAX_ID:
            raise Http404
        document = filing_document(filing=filing, document_id=document_id, document_kinds=FILING_DOCUMENT_KINDS)
        if document is None:
            raise Http404
        response = HttpResponse(document_file(document), content_type="application/pdf")
        response["Content-Disposition"] = content_disposition_header(True, document.filename)
        response["Cache-Control"] = "private, no-store"
        response["X-Content-Type-Options"] = "nosniff"
        personal_data_access_record(
            request=request,
            face=Face.DOWNLOAD,
            action=AccessAction.DOWNLOAD,
            record_type=Filing,
            records=[(filing.pk, f"{filing} · {document.title}")],
            counties=[filing.institution.street.county_id],
        )
        return response

    def handle_exception(self, exc):
        if isinstance(exc, exceptions.UnsupportedMediaType) and getattr(self, "action", None) == "materials":
            message = _('Send the material as "multipart/form-data", with its purpose and the file, not "%(type)s".')
            response = Response(
                error_body(exc.default_code, message % {"type": self.request.content_type}),
                status=status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
            )
            return response
        return super().handle_exception(exc)
