"""Writes to streets' reference data: the under-3 population figures."""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from luchen_care.accounts.permissions import administers_district

from ..models import (
    StreetPopulation,
)


@transaction.atomic
def street_population_save(*, population: StreetPopulation, actor) -> StreetPopulation:
    """Validate and save a street's population figure on behalf of ``actor``.

    Only the health bureau (and superusers) edit district reference data; a history row
    names ``actor``. The admin's change form, its inline on each street and the history
    page's revert all come here.
    """
    if actor is not None and not administers_district(actor):
        raise PermissionDenied(_("Only the health bureau may change population figures."))
    population.stamp(actor)
    population.full_clean()
    population.save()
    return population
