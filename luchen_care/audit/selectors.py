"""Reads of the access log, always through the scope resolver (``PersonalDataAccess.objects.visible_to``)."""

from .models import PersonalDataAccess


def personal_data_access_list(*, user):
    """The entries ``user`` may read: a superuser every one, a county's health bureau its county's, nobody else any.

    The admin adds its own gate (``administers_district``), so a city commission, which the
    scope resolver lets see its counties' district records, does not reach the page.
    """
    return PersonalDataAccess.objects.visible_to(user).select_related("user", "county")


def personal_data_access_of_record(*, user, record_type, pk):
    """The entries ``user`` may read that name record ``pk`` of ``record_type`` (``app.model``), newest first."""
    return personal_data_access_list(user=user).filter(record_type=record_type, record_index__contains=f"#{pk}#")
