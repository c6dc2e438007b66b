"""Reads from the registry. Scoping always goes through ``Institution.objects.visible_to``."""

from django.db.models import Prefetch

from .models import Institution, InstitutionClass


def institution_list(*, user):
    """The institutions ``user`` may see, with what a list needs loaded up front.

    - ``street`` is joined (its code and name are shown); the chain head office is not:
      only its id is shown, and that is ``head_office_id`` on the row itself.
    - Classes come in one query, ordered by type only. ``InstitutionClass``'s default
      ordering (``institution``, then ``class_type``) would expand to the institution's
      own ordering and join the institution and street tables again just to sort.
    """
    classes = InstitutionClass.objects.order_by("class_type")
    return (
        Institution.objects.visible_to(user)
        .select_related("street")
        .prefetch_related(Prefetch("classes", queryset=classes))
    )


def institution_get(*, user, pk):
    """One institution ``user`` may see; ``Institution.DoesNotExist`` otherwise (a 404)."""
    return institution_list(user=user).get(pk=pk)
