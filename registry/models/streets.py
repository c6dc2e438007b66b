"""Streets (街道) and their under-3 population."""

from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from luchen_care.core.models import AuditedModel


class Street(models.Model):
    """One of Lucheng's 12 streets (街道) and 2 towns (镇), keyed by its NBS code."""

    class Kind(models.TextChoices):
        STREET = "street", _("Street")
        TOWN = "town", _("Town")

    code = models.CharField(_("NBS code"), max_length=12, unique=True)
    name = models.CharField(_("name"), max_length=50, unique=True)
    kind = models.CharField(_("type"), max_length=10, choices=Kind.choices, default=Kind.STREET)

    class Meta:
        ordering = ["code"]
        verbose_name = _("street or town")
        verbose_name_plural = _("streets and towns")

    def __str__(self):
        return self.name

    def current_population(self):
        latest = self.populations.order_by("-year").first()
        return latest


class StreetPopulation(AuditedModel):
    """The resident population (常住人口) of a street at the end of a given year."""

    street = models.ForeignKey(Street, on_delete=models.PROTECT, related_name="populations")
    year = models.PositiveSmallIntegerField(_("year"), validators=[MinValueValidator(2000)])
    population = models.PositiveIntegerField(_("resident population"))
    source = models.CharField(_("source"), max_length=200, blank=True)
    history = HistoricalRecords(verbose_name=_("historical street population"))

    class Meta:
        ordering = ["street__code", "-year"]
        verbose_name = _("resident population")
        verbose_name_plural = _("resident populations")
        constraints = [
            models.UniqueConstraint(fields=["street", "year"], name="uniq_street_population_year"),
        ]

    def __str__(self):
        return f"{self.street} {self.year}: {self.population}"
