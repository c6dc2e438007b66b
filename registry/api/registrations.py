"""``/api/v1/registrations/``: other systems send registrations; the bureau reads them and the SLA report."""

import django_filters
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from luchen_care.accounts.models import Authority
from luchen_care.audit.models import AccessAction, Face
from luchen_care.audit.services import personal_data_access_record
from luchen_care.core.api.filters import FilterSet, StrictBooleanFilter
from luchen_care.core.api.forms import form_input, form_serializer
from luchen_care.core.masking import masked

from ..forms.registrations import RegistrationForm
from ..models import PushStatus, Registration, RegistrationKind, RegistrationSource
from ..permissions import can_record_registration
from ..selectors.registrations import registration_list, registration_sla_report, registrations_showing_personal_data
from ..services.registrations import registration_record

# The body of POST /api/v1/registrations/, documented from the one input declaration.
RegistrationInputSerializer = form_serializer(RegistrationForm, "RegistrationInputSerializer")


class RegistrationSerializer(serializers.ModelSerializer):
    credit_code = serializers.CharField(source="institution.credit_code", read_only=True)
    institution_name = serializers.CharField(source="institution.name", read_only=True)
    pushed_on_time = serializers.BooleanField(read_only=True, allow_null=True)
    overdue = serializers.BooleanField(source="is_overdue", read_only=True)

    class Meta:
        model = Registration
        fields = [
            "id",
            "authority",
            "registration_number",
            "registered_on",
            "kind",
            "institution",
            "institution_name",
            "credit_code",
            "data",
            "source",
            "correction_reason",
            "push_deadline",
            "push_deadline_provisional",
            "push_status",
            "pushed_at",
            "pushed_on_time",
            "overdue",
            "created_at",
        ]
        read_only_fields = fields

    def to_representation(self, instance):
        row = super().to_representation(instance)
        if row.get("data"):  # the data as registered names the legal representative
            request = self.context.get("request")
            row["data"] = masked(dict(row["data"]), getattr(request, "user", None))
        return row


class _AuthorityOrNull(serializers.ChoiceField):
    def to_representation(self, value):
        return value or None  # a row of all authorities (by month, overall)


class _Month(serializers.CharField):
    def to_representation(self, value):
        return value.strftime("%Y-%m")


class SlaRowSerializer(serializers.Serializer):
    """Figures for one group; ``due`` = on time + late + overdue; ``on_time_share`` = on_time / due."""

    authority = _AuthorityOrNull(choices=Authority.choices, allow_null=True)
    month = _Month(allow_null=True, help_text="YYYY-MM, month of registration")
    total = serializers.IntegerField()
    due = serializers.IntegerField(help_text="pushed, or not pushed and past the deadline day")
    on_time = serializers.IntegerField(help_text="pushed_at's Asia/Shanghai date ≤ push_deadline")
    late = serializers.IntegerField()
    overdue = serializers.IntegerField(help_text="not pushed and the deadline day has ended")
    waiting = serializers.IntegerField(help_text="not pushed, deadline not yet passed")
    on_time_share = serializers.FloatField(allow_null=True, help_text="null when nothing is due")


class SlaQuerySerializer(serializers.Serializer):
    """The SLA report's query, declared once: it validates the API's and the admin page's request
    and documents the API's parameters (``extend_schema(parameters=[SlaQuerySerializer])``)."""

    year = serializers.IntegerField(
        required=False,
        min_value=2000,
        max_value=2100,
        help_text="Only registrations registered in this year",
        error_messages={
            "invalid": _("Enter a year such as 2026."),
            "max_string_length": _("Enter a year such as 2026."),
            "min_value": _("Enter a year from 2000 to 2100."),
            "max_value": _("Enter a year from 2000 to 2100."),
        },
    )
    authority = serializers.ChoiceField(choices=Authority.choices, required=False)


class SlaReportSerializer(serializers.Serializer):
    rows = SlaRowSerializer(many=True, help_text="by authority and month")
    by_authority = SlaRowSerializer(many=True)
    by_month = SlaRowSerializer(many=True)
    overall = SlaRowSerializer()


class RegistrationFilter(FilterSet):
    authority = django_filters.ChoiceFilter(choices=Authority.choices)
    kind = django_filters.ChoiceFilter(choices=RegistrationKind.choices)
    push_status = django_filters.ChoiceFilter(choices=PushStatus.choices)
    registered_from = django_filters.DateFilter(field_name="registered_on", lookup_expr="gte")
    registered_to = django_filters.DateFilter(field_name="registered_on", lookup_expr="lte")
    overdue = StrictBooleanFilter(method="filter_overdue", label="Not pushed after its deadline day")

    class Meta:
        model = Registration
        fields = ["authority", "kind", "push_status", "push_deadline_provisional", "registration_number"]

    def filter_overdue(self, queryset, name, value):
        overdue = queryset.overdue()
        return overdue if value else queryset.exclude(pk__in=overdue.values("pk"))


class RecordRegistrationPermission(permissions.BasePermission):
    message = _("Only registration authorities and the health bureau may send registrations.")

    def has_permission(self, request, view):
        if request.method in permissions.SAFE_METHODS:
            return True
        return can_record_registration(request.user)


class RegistrationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Registrations (登记) the caller may see; registration authorities and the bureau send new ones.

    ``POST`` answers 201 with the new record, or 200 with the stored one when the same
    authority and registration number was sent before; it never makes a duplicate.
    """

    serializer_class = RegistrationSerializer
    permission_classes = [permissions.IsAuthenticated, RecordRegistrationPermission]
    filterset_class = RegistrationFilter
    search_fields = ["registration_number", "institution__name", "institution__credit_code"]
    ordering_fields = ["registered_on", "push_deadline", "pushed_at", "id"]
    ordering = ["-registered_on", "-id"]

    def get_queryset(self):
        return registration_list(user=self.request.user)

    # Each answer that shows a legal representative unmasked (a list page, a record, a
    # registration sent) is one entry of the access log.
    def log_registrations_read(self, request, registrations, action):
        shown = registrations_showing_personal_data(user=request.user, registrations=registrations)
        if shown:
            personal_data_access_record(
                request=request,
                face=Face.API,
                action=action,
                record_type=Registration,
                records=[(r.pk, str(r)) for r in shown],
                counties=[r.institution.street.county_id for r in shown],
            )

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        response = self.get_paginated_response(self.get_serializer(page, many=True).data)
        self.log_registrations_read(request, page, AccessAction.LIST)
        return response

    def retrieve(self, request, *args, **kwargs):
        registration = self.get_object()
        response = Response(self.get_serializer(registration).data)
        self.log_registrations_read(request, [registration], AccessAction.VIEW)
        return response

    @extend_schema(
        request=RegistrationInputSerializer,
        responses={201: RegistrationSerializer, 200: RegistrationSerializer},
    )
    def create(self, request, *args, **kwargs):
        # The service validates with the declaration; its errors answer 400, keyed by field.
        registration, created = registration_record(
            actor=request.user, source=RegistrationSource.API, **form_input(RegistrationForm, request.data)
        )
        response = Response(
            RegistrationSerializer(registration, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )
        self.log_registrations_read(request, [registration], AccessAction.WRITE)
        return response

    @extend_schema(parameters=[SlaQuerySerializer], responses={200: SlaReportSerializer})
    @action(detail=False, methods=["get"], filter_backends=[], pagination_class=None)
    def sla(self, request, *args, **kwargs):  # the router also passes format (sla.json)
        """The share pushed on time (pushed_at's Asia/Shanghai date ≤ push_deadline), by authority and month."""
        query = SlaQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        report = registration_sla_report(
            user=request.user, year=query.validated_data.get("year"), authority=query.validated_data.get("authority")
        )
        return Response(SlaReportSerializer(report).data)
