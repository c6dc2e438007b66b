"""Dated policy rows: a figure a policy sets is a row with the day it takes effect and its legal source.

A concrete policy derives from ``DatedPolicy``, adds its value field(s) and keeps its own
history (``history = HistoricalRecords(...)``); ``policy_on(Model, day)`` reads the row in
force on a day. A record computed from a policy stores the row it used (a PROTECT foreign
key), so a later row never rewrites what an earlier one decided.

This module knows no domain app: the push window (``registry.PushWindowPolicy``) is its
first use; filing, staffing and subsidy figures add their rows the same way.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.db import models, transaction
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


# --- Loading a county's rows from a file -------------------------------------------------------


@dataclass(frozen=True)
class PolicyKind:
    """A dated policy a domain app offers to ``manage.py policy load``: its key in the file, its
    model, the value fields a row gives, and the service that saves a row (``save(policy=…, actor=…)``,
    which checks who may and what may be saved)."""

    key: str
    model: type
    fields: tuple
    save: Callable


_KINDS: dict[str, PolicyKind] = {}


def register_policy_kind(kind: PolicyKind) -> None:
    """Offer ``kind`` to the policy loader; called from the owning app's ``AppConfig.ready()``."""
    _KINDS[kind.key] = kind


def policy_kinds() -> dict[str, PolicyKind]:
    return dict(_KINDS)


class PolicyFileRefused(ValidationError):
    """A policy file with bad rows: every problem, by kind and row; nothing was saved."""

    def __init__(self, problems):
        self.problems = problems  # [(where, message)]
        super().__init__([f"{where}: {message}" for where, message in problems])


ROW_FIELDS = ("effective_from", "legal_source", "note")


def _row_problems(kind, index, row):
    where = f"{kind.key}[{index}]"
    if not isinstance(row, dict):
        return where, [gettext("Each row is an object with its fields.")]
    unknown = set(row) - set(ROW_FIELDS) - set(kind.fields)
    missing = {"effective_from", "legal_source", *kind.fields} - set(row)
    problems = []
    if unknown:
        problems.append(gettext("Unknown fields: %(fields)s.") % {"fields": ", ".join(sorted(unknown))})
    if missing:
        problems.append(gettext("Missing fields: %(fields)s.") % {"fields": ", ".join(sorted(missing))})
    return where, problems


@transaction.atomic
def policy_rows_load(*, county, document, actor) -> dict:
    """Save the rows of ``document`` (``{kind key: [row, …]}``) as ``county``'s own policy rows, or
    as defaults when ``county`` is ``None``; all or nothing.

    Each row is saved by its kind's service on behalf of ``actor`` (who may, what may, a history
    row naming ``actor``). A row whose county and day are already recorded with the same figures is
    kept as it is, so a second load changes nothing; one with other figures is refused (a recorded
    row is corrected in the admin, with its history). Raises ``PolicyFileRefused`` with every
    problem (kind, row, field) and saves nothing; returns ``{kind key: {"created": n, "kept": n}}``.
    """
    problems, done = [], {}
    if county is None and not actor.is_superuser:
        raise PermissionDenied(gettext("Only a superuser loads the default rows every county follows."))
    if not isinstance(document, dict):
        raise PolicyFileRefused([("file", gettext("The file is an object of policy kinds and their rows."))])
    for key, rows in document.items():
        kind = _KINDS.get(key)
        if kind is None:
            known = ", ".join(sorted(_KINDS))
            problems.append((key, gettext("Not a policy kind; the kinds are: %(kinds)s.") % {"kinds": known}))
            continue
        if not isinstance(rows, list):
            problems.append((key, gettext("A list of rows is expected.")))
            continue
        done[key] = {"created": 0, "kept": 0}
        for index, row in enumerate(rows, start=1):
            where, shape = _row_problems(kind, index, row)
            if shape:
                problems.extend((where, message) for message in shape)
                continue
            try:
                created = _row_save(kind, county, row, actor)
            except ValidationError as refused:
                for field_name, messages in getattr(refused, "message_dict", {"": refused.messages}).items():
                    problems.extend(
                        (f"{where}.{field_name}" if field_name != "__all__" else where, m) for m in messages
                    )
                continue
            except PermissionDenied as refused:
                problems.append((where, str(refused)))
                continue
            done[key]["created" if created else "kept"] += 1
    if problems:
        transaction.set_rollback(True)
        raise PolicyFileRefused(problems)
    return done


def _row_save(kind, county, row, actor) -> bool:
    model = kind.model
    policy = model(county=county, **{name: row[name] for name in (*ROW_FIELDS, *kind.fields) if name in row})
    day = row["effective_from"]
    try:
        if not isinstance(day, str):
            raise ValidationError(gettext("Give the date as text, YYYY-MM-DD."))
        policy.effective_from = model._meta.get_field("effective_from").to_python(day)
    except ValidationError as refused:
        raise ValidationError({"effective_from": refused.messages}) from refused
    stored = model._default_manager.filter(county=county, effective_from=policy.effective_from).first()
    if stored is not None:

        def same(name):
            # Compared as values of the field (a file's "2800" is the stored 2800.00, its "false" False).
            field = model._meta.get_field(name)
            try:
                return field.to_python(getattr(stored, name)) == field.to_python(getattr(policy, name))
            except ValidationError:
                return False

        if all(same(name) for name in kind.fields):
            return False
        raise ValidationError(
            {
                "effective_from": [
                    gettext(
                        "A row from this day is already recorded with other figures; correct it in the admin, "
                        "where its history is kept."
                    )
                ]
            }
        )
    policy.full_clean(exclude=["created_by", "modified_by"])
    kind.save(policy=policy, actor=actor)
    return True
