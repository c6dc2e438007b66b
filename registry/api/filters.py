import django_filters
from django.utils.translation import gettext_lazy as _

from luchen_care.core.api.filters import FilterSet

from ..models import Institution, InstitutionKind, InstitutionStatus, Ownership, Street


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
