from django.utils.translation import gettext as _
from rest_framework import filters
from rest_framework.exceptions import ValidationError


class StrictOrderingFilter(filters.OrderingFilter):
    """DRF's ordering filter, but an unknown field is a 400 naming ``ordering`` instead of being ignored."""

    def get_ordering(self, request, queryset, view):
        params = request.query_params.get(self.ordering_param)
        if params:
            terms = [term.strip() for term in params.split(",") if term.strip()]
            allowed = {name for name, _label in self.get_valid_fields(queryset, view, {"request": request})}
            unknown = [term for term in terms if term.lstrip("-") not in allowed]
            if unknown:
                raise ValidationError(
                    {
                        self.ordering_param: [
                            _("Cannot order by %(terms)s; choose from: %(allowed)s.")
                            % {"terms": ", ".join(unknown), "allowed": ", ".join(sorted(allowed))}
                        ]
                    }
                )
        return super().get_ordering(request, queryset, view)
