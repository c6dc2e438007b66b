"""Counties (区县): the county-level units a deployment serves, loaded from the division table."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from luchen_care.core.scope import ScopedQuerySet, ScopePath


class County(models.Model):
    """A county-level unit (区/县/县级市) this deployment serves, with its city and province.

    Loaded from the national division table (``manage.py region add <code>``); its streets and
    towns belong to it. Names and codes are the NBS statistical division's, and change only when
    the table does (``manage.py region diff``); the streets, which the bureau renames, merges and
    retires, keep their history.
    """

    code = models.CharField(_("division code"), max_length=6, unique=True)
    name = models.CharField(_("name"), max_length=50)
    city_code = models.CharField(_("city code"), max_length=4, db_index=True)
    city_name = models.CharField(_("city"), max_length=50)
    province_code = models.CharField(_("province code"), max_length=2)
    province_name = models.CharField(_("province"), max_length=50)
    # Branding (``luchen_care.regions.branding``), set with ``manage.py region brand``; blank means derived.
    name_en = models.CharField(
        _("English name"), max_length=100, blank=True, help_text=_("Shown in the English interface, e.g. “X District”.")
    )
    issuer = models.CharField(
        _("issuing body"),
        max_length=100,
        blank=True,
        help_text=_("The health bureau that issues receipts and notices; blank means “<city><county>卫生健康局”."),
    )
    policy_basis = models.CharField(
        _("policy basis"),
        max_length=300,
        blank=True,
        help_text=_("The county's own childcare plan, with its document number, shown on the home page."),
    )

    # A bureau picks and filters by its own county, a city commission by its city's, a street
    # office by its street's; a superuser by every one (``luchen_care.core.scope``).
    scope = ScopePath.reference(county="pk")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        verbose_name = _("county")
        verbose_name_plural = _("counties")

    def __str__(self):
        return self.name
