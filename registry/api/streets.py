"""The streets API: the district's streets and towns, read-only, by NBS code."""

from rest_framework import serializers, viewsets

from ..models import Street


class StreetSerializer(serializers.ModelSerializer):
    class Meta:
        model = Street
        fields = ["code", "name", "kind"]


class StreetViewSet(viewsets.ReadOnlyModelViewSet):
    """Lucheng's 12 streets and 2 towns, by NBS code."""

    serializer_class = StreetSerializer
    queryset = Street.objects.all()
    lookup_field = "code"
    pagination_class = None
    filter_backends = []
