"""The streets API: the district's streets and towns, read-only, by NBS code."""

from rest_framework import serializers, viewsets

from ..models import Street


class StreetSerializer(serializers.ModelSerializer):
    class Meta:
        model = Street
        fields = ["code", "name", "kind"]


class StreetViewSet(viewsets.ReadOnlyModelViewSet):
    """The streets and towns of the caller's county (or counties), by NBS code."""

    serializer_class = StreetSerializer
    queryset = Street.objects.all()

    def get_queryset(self):
        return super().get_queryset().visible_to(self.request.user)

    lookup_field = "code"
    pagination_class = None
    filter_backends = []
