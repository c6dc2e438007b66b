"""Reads from the registry. Scoping always goes through ``Institution.objects.visible_to``."""

from .models import Institution


def institution_list(*, user):
    """The institutions ``user`` may see, with what a list needs loaded up front."""
    return Institution.objects.visible_to(user).select_related("street", "head_office").prefetch_related("classes")


def institution_get(*, user, pk):
    """One institution ``user`` may see; ``Institution.DoesNotExist`` otherwise (a 404)."""
    return institution_list(user=user).get(pk=pk)
