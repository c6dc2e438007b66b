"""Writes of the access log: one entry per request that showed personal data, and its pruning.

Every face that shows personal fields unmasked calls ``personal_data_access_record`` once per
request (the admin's change and history pages, the Excel export, the API's reads, downloads of
uploaded documents): one INSERT, whatever the number of records shown.
"""

import datetime
from collections.abc import Iterable

from django.conf import settings
from django.db import models
from django.utils import timezone

from luchen_care.accounts.lockout import client_address
from luchen_care.accounts.models import Role

from .models import RECORD_LIST_LIMIT, PersonalDataAccess

SUPERUSER_ROLE = "superuser"  # what ``role`` records for a superuser, who has no role


def _actor_county_id(user):
    """The county the reader works in, when it has one without a query (bureaus, street offices)."""
    if user.county_id:
        return user.county_id
    if user.role == Role.STREET_OFFICE and user.street_id:
        return user.street.county_id  # loaded already by the scope resolver on this request's user
    return None


def _parsed_query(request) -> dict:
    """The request's query string as ``{name: value}`` (a list when a name repeats)."""
    parsed = {}
    for name, values in request.GET.lists():
        parsed[name[:100]] = [value[:200] for value in values] if len(values) > 1 else values[0][:200]
    return parsed


def _record_type(record_type) -> str:
    if isinstance(record_type, type) and issubclass(record_type, models.Model):
        return record_type._meta.label_lower
    return str(record_type)


def personal_data_access_record(
    *,
    request,
    face: str,
    action: str,
    record_type,
    records: Iterable = (),
    row_count: int | None = None,
    counties: Iterable = (),
    query: dict | None = None,
) -> PersonalDataAccess | None:
    """Record that ``request``'s user read personal data; return the entry (``None`` for nobody signed in).

    ``records`` are ``(id, label)`` pairs of what was shown (the first ``RECORD_LIST_LIMIT`` are
    kept); ``row_count`` is how many rows were shown in all (an export's rows), by default the
    number of ``records``. ``counties`` are the ids of the records' counties: when they are one,
    the entry is that county's (its health bureau reads it); otherwise it is the reader's county,
    or, for a reader without one, the superusers'. ``query`` is the filter applied (by default the
    request's query string, parsed). Writes one row, in one INSERT.
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    records = list(records)
    ids = [pk if isinstance(pk, int) else str(pk) for pk, _label in records[:RECORD_LIST_LIMIT]]
    labels = [str(label)[:200] for _pk, label in records[:RECORD_LIST_LIMIT]]
    distinct = {county for county in counties if county is not None}
    county_id = next(iter(distinct)) if len(distinct) == 1 else _actor_county_id(user)
    entry = PersonalDataAccess(
        at=timezone.now(),
        user=user,
        username=user.get_username(),
        role=SUPERUSER_ROLE if user.is_superuser else user.role,
        county_id=county_id,
        address=client_address(request)[:64],
        face=face,
        action=action,
        record_type=_record_type(record_type),
        record_ids=ids,
        record_labels=labels,
        record_index=" ".join(f"#{pk}#" for pk in ids),
        label_index="\n".join(labels),
        row_count=len(records) if row_count is None else row_count,
        query=_parsed_query(request) if query is None else query,
        path=request.path[:500],
    )
    entry.save()
    return entry


def personal_data_access_prune(*, now: datetime.datetime | None = None) -> int:
    """Delete the entries older than ``PERSONAL_DATA_ACCESS_RETENTION_DAYS``; return how many.

    Entries within retention are left as they are. Run daily by beat (``tasks.prune_personal_data_access``).
    """
    cutoff = (now or timezone.now()) - datetime.timedelta(days=settings.PERSONAL_DATA_ACCESS_RETENTION_DAYS)
    deleted, _by_model = PersonalDataAccess.objects.filter(at__lt=cutoff).delete()
    return deleted
