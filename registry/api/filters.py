import django_filters
from django.db.models import Subquery
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters

from ..models import Institution, InstitutionKind, InstitutionStatus, Ownership, Street


class InstitutionFilter(filters.FilterSet):
    """Query-string filters of the institutions list.

    The REST flavour of ``FilterSet`` reads booleans as ``true``/``false`` or ``1``/``0``.
    """

    street = django_filters.CharFilter(method="filter_street", label=_("Street NBS code"))
    kind = django_filters.MultipleChoiceFilter(choices=InstitutionKind.choices)
    ownership = django_filters.ChoiceFilter(choices=Ownership.choices)
    status = django_filters.MultipleChoiceFilter(choices=InstitutionStatus.choices)
    # By id, without looking the head office up: an id outside the caller's scope simply matches nothing.
    head_office = django_filters.NumberFilter(field_name="head_office_id", label=_("Chain head office (id)"))

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

    def filter_street(self, queryset, name, value):
        # A scalar subquery rather than a join: PostgreSQL then plans for one street's share of the rows.
        return queryset.filter(street_id=Subquery(Street.objects.filter(code=value).values("pk")[:1]))
