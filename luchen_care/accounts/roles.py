"""The roles of the platform's users, and the authorities a registration-authority user belongs to.

Apart from ``models`` so that the scope resolver (``luchen_care.core.scope``), which the models
themselves use, reads them without importing the account models.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    HEALTH_BUREAU = "health_bureau", _("County health bureau")
    EDUCATION_BUREAU = "education_bureau", _("County education bureau")
    REGISTRATION_AUTHORITY = "registration_authority", _("Registration authority")
    STREET_OFFICE = "street_office", _("Street office or town government")
    INSTITUTION = "institution", _("Childcare institution")
    API_CLIENT = "api_client", _("API client (other system)")
    CITY_HEALTH_COMMISSION = "city_health_commission", _("City health commission")


class Authority(models.TextChoices):
    MARKET_REGULATION = "market_regulation", _("Market regulation bureau")
    CIVIL_AFFAIRS = "civil_affairs", _("Civil affairs bureau")
    ESTABLISHMENT_OFFICE = "establishment_office", _("Establishment office")


# Roles whose people work in the Django admin.
STAFF_ROLES = frozenset(
    {
        Role.HEALTH_BUREAU,
        Role.EDUCATION_BUREAU,
        Role.REGISTRATION_AUTHORITY,
        Role.STREET_OFFICE,
        Role.CITY_HEALTH_COMMISSION,
    }
)
# Roles that belong to one county (a street office's county is its street's; a city health
# commission's counties are its city's; an API client's are its grant's).
COUNTY_ROLES = frozenset({Role.HEALTH_BUREAU, Role.EDUCATION_BUREAU, Role.REGISTRATION_AUTHORITY})
