"""Reads from the registry. Scoping always goes through ``Institution.objects.visible_to``."""

from django.db.models import Prefetch

from .models import Institution, InstitutionClass

CLASS_ROW_FIELDS = ("class_type", "class_count", "capacity")


def institution_list(*, user, with_classes=True):
    """The institutions ``user`` may see, with what a list needs loaded up front.

    - ``street`` is joined (its code and name are shown); the chain head office is not:
      only its id is shown, and that is ``head_office_id`` on the row itself.
    - Classes are prefetched in one query, ordered by type only. ``InstitutionClass``'s
      default ordering (``institution``, then ``class_type``) would expand to the
      institution's own ordering and join the institution and street tables again just
      to sort. ``with_classes=False`` leaves them out, for a caller that reads a whole
      page's classes with ``institution_class_rows`` instead.
    """
    queryset = Institution.objects.visible_to(user).select_related("street")
    if with_classes:
        queryset = queryset.prefetch_related(
            Prefetch("classes", queryset=InstitutionClass.objects.order_by("class_type"))
        )
    return queryset


def institution_class_rows(institution_ids):
    """The classes of these institutions in one query, as ``{institution id: [row, …]}``.

    Each row is a dict of ``CLASS_ROW_FIELDS``, in class-type order; an institution without
    classes has an empty list. Plain rows, not model instances: for pages of a list, where
    building and prefetching 200 ``InstitutionClass`` objects costs more than the query.
    The ids must come from an already scoped queryset (``institution_list``).
    """
    rows = {pk: [] for pk in institution_ids}
    if rows:
        values = (
            InstitutionClass.objects.filter(institution_id__in=rows)
            .order_by("institution_id", "class_type")
            .values_list("institution_id", *CLASS_ROW_FIELDS)
        )
        for institution_id, *row in values:
            rows[institution_id].append(dict(zip(CLASS_ROW_FIELDS, row, strict=True)))
    return rows


def institution_get(*, user, pk):
    """One institution ``user`` may see; ``Institution.DoesNotExist`` otherwise (a 404)."""
    return institution_list(user=user).get(pk=pk)
