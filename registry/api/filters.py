import django_filters

from ..models import Institution, InstitutionKind, InstitutionStatus, Ownership


class InstitutionFilter(django_filters.FilterSet):
    street = django_filters.CharFilter(field_name="street__code", label="Street NBS code")
    kind = django_filters.MultipleChoiceFilter(choices=InstitutionKind.choices)
    ownership = django_filters.ChoiceFilter(choices=Ownership.choices)
    status = django_filters.MultipleChoiceFilter(choices=InstitutionStatus.choices)

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
