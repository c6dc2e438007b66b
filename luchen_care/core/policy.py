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

    class Meta:
        abstract = True
        ordering = ["-effective_from"]
        get_latest_by = "effective_from"
        constraints = [
            models.UniqueConstraint(fields=["effective_from"], name="%(app_label)s_%(class)s_uniq_effective_from"),
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


def policy_on(model, day: datetime.date):
    """The row of the dated policy ``model`` in force on ``day`` (the latest ``effective_from`` ≤ ``day``).

    Raises ``PolicyNotInForce`` when ``day`` is before the first row.
    """
    row = model._default_manager.filter(effective_from__lte=day).order_by("-effective_from").first()
    if row is None:
        raise PolicyNotInForce(model, day)
    return row
