"""Dated policy rows: a figure a policy sets is a row with the day it takes effect and its legal source.

A concrete policy derives from ``DatedPolicy``, adds its value field(s) and keeps its own
history (``history = HistoricalRecords(...)``); ``policy_on(Model, day)`` reads the row in
force on a day. A record computed from a policy stores the row it used (a PROTECT foreign
key), so a later row never rewrites what an earlier one decided.

This module knows no domain app: the push window (``registry.PushWindowPolicy``) is its
first use; filing, staffing and subsidy figures add their rows the same way.
"""

import datetime

from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .models import AuditedModel


class DatedPolicy(AuditedModel):
    """One version of a policy figure: in force from ``effective_from`` until the next row's day."""

    effective_from = models.DateField(
        _("effective from"), help_text=_("The first day this rule applies to (the date of the record it counts).")
    )
    legal_source = models.CharField(
        _("legal source"), max_length=255, help_text=_("The document and article that set this figure.")
    )
    note = models.TextField(_("note"), blank=True)
    county = models.ForeignKey(
        "regions.County",
        verbose_name=_("county"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Empty: the default for every county. A county's own row wins over the default from its date."),
    )

    class Meta:
        abstract = True
        ordering = ["-effective_from"]
        get_latest_by = "effective_from"
        constraints = [
            models.UniqueConstraint(
                fields=["effective_from"],
                condition=Q(county__isnull=True),
                name="%(app_label)s_%(class)s_uniq_effective_from",
            ),
            models.UniqueConstraint(
                fields=["county", "effective_from"], name="%(app_label)s_%(class)s_uniq_county_effective_from"
            ),
        ]


class PolicyNotInForce(ObjectDoesNotExist):
    """No row of a dated policy is in force on the day asked: the day is before the first row."""

    def __init__(self, model, day):
        self.model, self.day = model, day
        first = model._default_manager.order_by("effective_from").values_list("effective_from", flat=True).first()
        if first is None:
            message = gettext("No %(policy)s has been entered yet.") % {"policy": model._meta.verbose_name}
        else:
            message = gettext("No %(policy)s is in force on %(day)s: the first one takes effect on %(first)s.") % {
                "policy": model._meta.verbose_name,
                "day": day.isoformat(),
                "first": first.isoformat(),
            }
        self.message = message
        super().__init__(message)


def policy_in_force(rows, day: datetime.date, county_id=None):
    """Of ``rows`` (dated policy rows, newest first), the one in force on ``day`` for ``county_id``:
    the county's own latest row from its date, else the default's; ``None`` before either."""
    rows = [row for row in rows if row.effective_from <= day]
    own = next((row for row in rows if county_id is not None and row.county_id == county_id), None)
    return own or next((row for row in rows if row.county_id is None), None)


def policy_on(model, day: datetime.date, county_id=None):
    """The row of the dated policy ``model`` in force on ``day`` in the county ``county_id``.

    A county's own row wins from its ``effective_from``; before it, and for a county with no row
    of its own, the default row (no county) in force on ``day``. Raises ``PolicyNotInForce``
    when neither has a row by ``day``.
    """
    candidates = model._default_manager.filter(effective_from__lte=day).filter(
        Q(county__isnull=True) | Q(county_id=county_id)
    )
    row = policy_in_force(candidates.order_by("-effective_from"), day, county_id)
    if row is None:
        raise PolicyNotInForce(model, day)
    return row
