"""Counties (区县): the county-level units a deployment serves, loaded from the division table."""

from django.db import models
from django.utils.translation import gettext_lazy as _


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

    class Meta:
        ordering = ["code"]
        verbose_name = _("county")
        verbose_name_plural = _("counties")

    def __str__(self):
        return self.name
