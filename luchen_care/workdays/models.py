from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from luchen_care.core.models import AuditedModel


class WorkdayOverride(AuditedModel):
    """A day whose status an administrator sets, overriding the packaged PRC calendar.

    Uses: a typhoon closure, or next year's State Council holiday notice before the
    chinesecalendar package carries it. Any override row in a year marks that year's
    calendar as known, so deadlines in it stop being provisional.
    """

    date = models.DateField(_("date"), unique=True)
    is_working_day = models.BooleanField(_("is a working day"))
    reason = models.CharField(_("reason"), max_length=200)
    history = HistoricalRecords(verbose_name=_("historical working-day override"))

    class Meta:
        ordering = ["-date"]
        verbose_name = _("working-day override")
        verbose_name_plural = _("working-day overrides")

    def __str__(self):
        return f"{self.date:%Y-%m-%d} {gettext('working day') if self.is_working_day else gettext('day off')}"
