"""The registry's dated policy rows: the push window."""

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from luchen_care.core.policy import DatedPolicy
from luchen_care.core.scope import ScopedQuerySet, ScopePath


class PushWindowPolicy(DatedPolicy):
    """How many working days a registration authority has to push a registration to the health
    bureau (plan task 20: five). The row in force on ``registered_on`` counts the deadline, and
    the registration keeps it (``Registration.push_rule``)."""

    working_days = models.PositiveSmallIntegerField(
        _("working days"),
        validators=[MinValueValidator(1)],
        help_text=_("The deadline is this many working days after the day of registration, which does not count."),
    )
    history = HistoricalRecords(verbose_name=_("historical push window"), excluded_fields=["modified_at"])

    # Each county reads its own rows and the defaults.
    scope = ScopePath.reference(county="county", shared_when_empty=True)
    objects = ScopedQuerySet.as_manager()

    class Meta(DatedPolicy.Meta):
        verbose_name = _("push window")
        verbose_name_plural = _("push windows")
        constraints = [
            *DatedPolicy.Meta.constraints,
            models.CheckConstraint(condition=Q(working_days__gte=1), name="registry_pushwindow_working_days_positive"),
        ]

    def __str__(self):
        return _("%(days)d working days from %(day)s") % {"days": self.working_days, "day": self.effective_from}
