from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from .. import services
from ..models import Street
from ..permissions import can_change_institution, can_create_institution, can_transition_institution
from ..selectors import institution_list, institution_list_rows
from .filters import InstitutionFilter
from .serializers import (
    CloseSerializer,
    InstitutionSerializer,
    MarkFiledSerializer,
    MarkOperatingSerializer,
    ResumeSerializer,
    StreetSerializer,
    SuspendSerializer,
)

# The lifecycle endpoints: view action → (service, input serializer).
LIFECYCLE_ACTIONS = {
    "mark_filed": (services.institution_mark_filed, MarkFiledSerializer),
    "mark_operating": (services.institution_mark_operating, MarkOperatingSerializer),
    "suspend": (services.institution_suspend, SuspendSerializer),
    "resume": (services.institution_resume, ResumeSerializer),
    "close": (services.institution_close, CloseSerializer),
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
        return self.get_paginated_response(institution_list_rows(user=request.user, queryset=page))

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


class StreetViewSet(viewsets.ReadOnlyModelViewSet):
    """Lucheng's 12 streets and 2 towns, by NBS code."""

    serializer_class = StreetSerializer
    queryset = Street.objects.all()
    lookup_field = "code"
    pagination_class = None
    filter_backends = []
