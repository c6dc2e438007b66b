"""Streets (街道) and their under-3 population."""

from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from luchen_care.core.models import AuditedModel
from luchen_care.core.scope import ScopedQuerySet, ScopePath


class Street(models.Model):
    """A street (街道), town (镇) or township (乡) of a county, keyed by its NBS code.

    Loaded with its county from the national division table (``manage.py region add <code>``).
    """

    class Kind(models.TextChoices):
        STREET = "street", _("Street")
        TOWN = "town", _("Town")
        TOWNSHIP = "township", _("Township")

    county = models.ForeignKey(
        "regions.County", verbose_name=_("county"), on_delete=models.PROTECT, related_name="streets"
    )
    code = models.CharField(_("NBS code"), max_length=12, unique=True)
    name = models.CharField(_("name"), max_length=50)
    kind = models.CharField(_("type"), max_length=10, choices=Kind.choices, default=Kind.STREET)

    # Reference data: every role reads the streets of its own county.
    scope = ScopePath.reference(county="county")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        verbose_name = _("street or town")
        verbose_name_plural = _("streets and towns")
        constraints = [
            # Two counties may each have a 城关镇; one county never has two.
            models.UniqueConstraint(fields=["county", "name"], name="uniq_street_name_in_county"),
        ]

    def __str__(self):
        return self.name

    @staticmethod
    def kind_of(name) -> str:
        """The kind a division name says: …镇 a town, …乡 a township, anything else a street."""
        if name.endswith("镇"):
            return Street.Kind.TOWN
        if name.endswith("乡"):
            return Street.Kind.TOWNSHIP
        return Street.Kind.STREET

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

    scope = ScopePath.reference(county="street__county")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["street__code", "-year"]
        verbose_name = _("resident population")
        verbose_name_plural = _("resident populations")
        constraints = [
            models.UniqueConstraint(fields=["street", "year"], name="uniq_street_population_year"),
        ]

    def __str__(self):
        return f"{self.street} {self.year}: {self.population}"
