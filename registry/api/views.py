from django.utils.translation import gettext_lazy as _
from rest_framework import mixins, permissions, viewsets

from ..models import Street
from ..permissions import can_change_institution, can_create_institution
from ..selectors import institution_list
from .filters import InstitutionFilter
from .serializers import InstitutionSerializer, StreetSerializer


class InstitutionWritePermission(permissions.BasePermission):
    message = _("You may not change institution data.")

    def has_permission(self, request, view):
        if request.method in permissions.SAFE_METHODS:
            return True
        if request.method == "POST":
            # A body that is not an object has no kind; the serializer then says what is wrong.
            kind = request.data.get("kind") if hasattr(request.data, "get") else None
            return can_create_institution(request.user, kind)
        return can_change_institution(request.user)

    def has_object_permission(self, request, view, obj):
        if request.method in permissions.SAFE_METHODS:
            return True
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
        # A list page reads its classes in one query of plain rows (InstitutionListSerializer), not prefetched.
        return institution_list(user=self.request.user, with_classes=self.action != "list")


class StreetViewSet(viewsets.ReadOnlyModelViewSet):
    """Lucheng's 12 streets and 2 towns, by NBS code."""

    serializer_class = StreetSerializer
    queryset = Street.objects.all()
    lookup_field = "code"
    pagination_class = None
    filter_backends = []
