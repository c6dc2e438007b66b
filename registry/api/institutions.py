"""The institutions API: the list and its filters, detail, writes, and the lifecycle steps."""

import django_filters
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import filters, mixins, permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from luchen_care.audit.models import AccessAction, Face
from luchen_care.audit.services import personal_data_access_record
from luchen_care.core.api.filters import FilterSet, IdFilter, StrictOrderingFilter
from luchen_care.core.masking import masked, reads_personal_data

from ..models import Institution, InstitutionClass, InstitutionKind, InstitutionStatus, Ownership, Street
from ..permissions import can_change_institution, can_create_institution, can_transition_institution
from ..selectors.institutions import institution_list, institution_page, institution_search_narrowed
from ..services.institutions import (
    LIFECYCLE_FIELDS,
    institution_close,
    institution_create,
    institution_mark_filed,
    institution_mark_operating,
    institution_resume,
    institution_suspend,
    institution_update,
    lifecycle_field_message,
)
from ..validators import normalize_credit_code


class InstitutionFilter(FilterSet):
    """Query-string filters of the institutions list.

    Booleans are ``true``/``false`` or ``1``/``0``; any other value is a 400 naming the filter.
    """

    # By code; an unknown code is a 400 naming ``street``. Filtering on the street's id avoids a join.
    street = django_filters.ModelChoiceFilter(
        queryset=Street.objects.all(), to_field_name="code", label=_("Street NBS code")
    )
    # No DISTINCT: rows cannot repeat without a to-many join, and DISTINCT makes PostgreSQL sort them all.
    kind = django_filters.MultipleChoiceFilter(choices=InstitutionKind.choices, distinct=False)
    ownership = django_filters.ChoiceFilter(choices=Ownership.choices)
    status = django_filters.MultipleChoiceFilter(choices=InstitutionStatus.choices, distinct=False)
    # By id, without looking the head office up: an id outside the caller's scope simply matches nothing.
    head_office = IdFilter(field_name="head_office_id", label=_("Chain head office (id)"))

    class Meta:
        model = Institution
        fields = [
            "street",
            "kind",
            "ownership",
            "inclusive",
            "for_profit",
            "status",
            "registration_authority",
            "livelihood_project",
            "head_office",
        ]


class InstitutionClassSerializer(serializers.ModelSerializer):
    """The classes of one type an institution runs, and how many children they take."""

    class Meta:
        model = InstitutionClass
        fields = ["class_type", "class_count", "capacity"]


# Detail, writes and the schema. A list page is read by registry.selectors.institutions.institution_list_rows in this
# serializer's shape; tests/registry/test_list_rows.py holds the two together. (Its docstring is the schema's.)
class InstitutionSerializer(serializers.ModelSerializer):
    """A childcare institution for children under three (托育机构), with its classes."""

    street = serializers.SlugRelatedField(slug_field="code", queryset=Street.objects.all())
    street_name = serializers.CharField(source="street.name", read_only=True)
    classes = InstitutionClassSerializer(many=True, required=False)

    class Meta:
        model = Institution
        fields = [
            "id",
            "name",
            "credit_code",
            "kind",
            "ownership",
            "for_profit",
            "inclusive",
            "registration_authority",
            "street",
            "street_name",
            "address",
            "legal_representative",
            "contact_phone",
            "approved_places",
            "head_office",
            "demonstration_level",
            "livelihood_project",
            "status",
            "registered_on",
            "filed_on",
            "operating_since",
            "suspended_on",
            "closed_on",
            "archived",
            "classes",
            "created_at",
            "modified_at",
        ]
        # The status and its dates change only through the lifecycle endpoints (…/mark-filed/,
        # …/suspend/ …); ``registered_on`` may be given once, when the institution is registered.
        read_only_fields = [
            "archived",
            "created_at",
            "modified_at",
            "status",
            "filed_on",
            "operating_since",
            "suspended_on",
            "closed_on",
        ]

    def to_internal_value(self, data):
        # A read-only field is silently ignored by DRF; a client writing the status must hear it did not.
        if hasattr(data, "keys"):
            writable = {"registered_on"} if self.instance is None else set()
            sent = [name for name in LIFECYCLE_FIELDS if name in data and name not in writable]
            if sent:
                raise serializers.ValidationError({name: [lifecycle_field_message()] for name in sent})
        return super().to_internal_value(data)

    def to_representation(self, instance):
        request = self.context.get("request")
        return masked(super().to_representation(instance), getattr(request, "user", None))

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        if request is not None and "head_office" in fields:
            # A chain head office must be an institution the writer can see.
            fields["head_office"].queryset = Institution.objects.visible_to(request.user)
        return fields

    def validate_credit_code(self, value):
        return normalize_credit_code(value)

    def validate_classes(self, value):
        # A PATCH validates nested items partially, but a class is always given whole: it replaces the stored one.
        names = ("class_type", "class_count", "capacity")
        missing = [{name: [_("This field is required.")] for name in names if name not in item} for item in value]
        if any(missing):
            raise serializers.ValidationError(missing)
        types = [c["class_type"] for c in value]
        if len(types) != len(set(types)):
            raise serializers.ValidationError(_("List each class type once."))
        return value

    @transaction.atomic
    def create(self, validated_data):
        classes = validated_data.pop("classes", None)
        return institution_create(actor=self.context["request"].user, classes=classes, **validated_data)

    @transaction.atomic
    def update(self, instance, validated_data):
        classes = validated_data.pop("classes", None)
        return institution_update(
            institution=instance, actor=self.context["request"].user, classes=classes, **validated_data
        )


class LifecycleStepSerializer(serializers.Serializer):
    """The input of a lifecycle step: its date, the document that records it, and why."""

    effective_on = serializers.DateField(
        required=False, help_text=_("The date the step takes effect; today unless given. Not in the future.")
    )
    document_reference = serializers.CharField(
        max_length=100, required=False, allow_blank=True, help_text=_("The reference of the document recording it.")
    )
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    required_inputs = ()

    def get_fields(self):
        fields = super().get_fields()
        for name in self.required_inputs:
            fields[name].required = True
            if hasattr(fields[name], "allow_blank"):
                fields[name].allow_blank = False
        return fields


class MarkFiledSerializer(LifecycleStepSerializer):
    """Record the filing (备案): its date, the filing receipt's reference, and a note."""

    required_inputs = ("effective_on", "document_reference", "reason")


class MarkOperatingSerializer(LifecycleStepSerializer):
    """Record the start of operations: its date, the document, and a note."""

    required_inputs = ("effective_on", "document_reference", "reason")


class SuspendSerializer(LifecycleStepSerializer):
    """Suspend: from which date, and why."""

    required_inputs = ("effective_on", "reason")


class ResumeSerializer(LifecycleStepSerializer):
    """Resume operations: from which date (today unless given)."""


class CloseSerializer(LifecycleStepSerializer):
    """Close and archive: why, and how the children were placed safely."""

    required_inputs = ("reason",)


# The lifecycle endpoints: view action → (service, input serializer).
LIFECYCLE_ACTIONS = {
    "mark_filed": (institution_mark_filed, MarkFiledSerializer),
    "mark_operating": (institution_mark_operating, MarkOperatingSerializer),
    "suspend": (institution_suspend, SuspendSerializer),
    "resume": (institution_resume, ResumeSerializer),
    "close": (institution_close, CloseSerializer),
}


class InstitutionWritePermission(permissions.BasePermission):
    message = _("You may not change institution data.")

    def has_permission(self, request, view):
        if request.method in permissions.SAFE_METHODS:
            return True
        if getattr(view, "action", None) in LIFECYCLE_ACTIONS:
            return can_transition_institution(request.user)
        if request.method == "POST":
            # A body that is not an object has no kind; the serializer then says what is wrong.
            kind = request.data.get("kind") if hasattr(request.data, "get") else None
            return can_create_institution(request.user, kind)
        return can_change_institution(request.user)

    def has_object_permission(self, request, view, obj):
        if request.method in permissions.SAFE_METHODS:
            return True
        if getattr(view, "action", None) in LIFECYCLE_ACTIONS:
            # A closed institution is not refused here: the step answers 400 on ``status``.
            return can_transition_institution(request.user, obj)
        return can_change_institution(request.user, obj)


class InstitutionSearchFilter(filters.SearchFilter):
    """DRF's search (every term in one of ``search_fields``), narrowed by the search index."""

    def filter_queryset(self, request, queryset, view):
        searched = super().filter_queryset(request, queryset, view)
        if searched is queryset:  # no search asked for
            return queryset
        return institution_search_narrowed(searched, self.get_search_terms(request))


class InstitutionViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Childcare institutions the caller may see. Institutions are never deleted: close them."""

    serializer_class = InstitutionSerializer
    permission_classes = [permissions.IsAuthenticated, InstitutionWritePermission]
    filterset_class = InstitutionFilter
    filter_backends = [DjangoFilterBackend, InstitutionSearchFilter, StrictOrderingFilter]
    search_fields = ["name", "credit_code", "address"]
    ordering_fields = ["name", "credit_code", "approved_places", "registered_on", "created_at", "id"]
    ordering = ["id"]

    def get_queryset(self):
        # A list page reads its classes with its rows (institution_list_rows), not prefetched.
        return institution_list(user=self.request.user, with_classes=self.action != "list")

    def list(self, request, *args, **kwargs):
        # The page is read as plain rows in the API's shape; InstitutionSerializer still documents it.
        # (No docstring here: drf-spectacular would take it as the operation's description.)
        page = self.paginator.paginate_unread(self.filter_queryset(self.get_queryset()), request, view=self)
        shown = institution_page(user=request.user, queryset=page)
        if shown.rows and reads_personal_data(request.user):
            # Unmasked personal fields on the page: one entry for the page (its ids, names and filter).
            personal_data_access_record(
                request=request,
                face=Face.API,
                action=AccessAction.LIST,
                record_type=Institution,
                records=[(row["id"], row["name"]) for row in shown.rows],
                counties=shown.counties,
            )
        return self.get_paginated_response(shown.rows)

    # A record answered in full (detail, a write, a lifecycle step) with unmasked personal fields is
    # logged once the answer is final: ``get_object`` and the writes remember the record shown.
    _shown = None

    def get_object(self):
        self._shown = super().get_object()
        return self._shown

    def perform_create(self, serializer):
        super().perform_create(serializer)
        self._shown = serializer.instance

    def perform_update(self, serializer):
        super().perform_update(serializer)
        self._shown = serializer.instance

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        record = self._shown
        if record is not None and 200 <= response.status_code < 300 and reads_personal_data(request.user):
            personal_data_access_record(
                request=request,
                face=Face.API,
                action=AccessAction.VIEW if self.action == "retrieve" else AccessAction.WRITE,
                record_type=Institution,
                records=[(record.pk, record.name)],
                counties=[record.street.county_id],
            )
        return response

    def _step(self, request):
        """Run the lifecycle step of this action on the institution; answer it as it now is."""
        institution = self.get_object()  # out of scope: 404; a role that reads only: 403
        service, input_serializer = LIFECYCLE_ACTIONS[self.action]
        incoming = input_serializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        institution = service(institution=institution, actor=request.user, **incoming.validated_data)
        institution = institution_list(user=request.user, with_classes=True).get(pk=institution.pk)
        return Response(self.get_serializer(institution).data)

    @extend_schema(request=MarkFiledSerializer, responses={200: InstitutionSerializer})
    @action(detail=True, methods=["post"], url_path="mark-filed", url_name="mark-filed")
    def mark_filed(self, request, *args, **kwargs):  # the router also passes format (suspend.json)
        """Record the filing (registered → filed): its date, the filing receipt's reference and a reason.

        Until online filing exists the bureau records it here, also for filings made on paper
        before the platform. A 400 on ``status`` if the institution is not registered.
        """
        return self._step(request)

    @extend_schema(request=MarkOperatingSerializer, responses={200: InstitutionSerializer})
    @action(detail=True, methods=["post"], url_path="mark-operating", url_name="mark-operating")
    def mark_operating(self, request, *args, **kwargs):  # the router also passes format (suspend.json)
        """Record the start of operations (filed → operating): its date, document reference and a reason."""
        return self._step(request)

    @extend_schema(request=SuspendSerializer, responses={200: InstitutionSerializer})
    @action(detail=True, methods=["post"])
    def suspend(self, request, *args, **kwargs):  # the router also passes format (suspend.json)
        """Suspend a filed or operating institution from a date, with a reason."""
        return self._step(request)

    @extend_schema(request=ResumeSerializer, responses={200: InstitutionSerializer})
    @action(detail=True, methods=["post"])
    def resume(self, request, *args, **kwargs):  # the router also passes format (suspend.json)
        """Let a suspended institution operate again (from today unless a date is given)."""
        return self._step(request)

    @extend_schema(request=CloseSerializer, responses={200: InstitutionSerializer})
    @action(detail=True, methods=["post"])
    def close(self, request, *args, **kwargs):  # the router also passes format (suspend.json)
        """Close and archive the institution; the reason (how the children were placed) is required.

        The record stays readable and read-only. No step follows closing.
        """
        return self._step(request)
