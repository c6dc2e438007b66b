"""Who the platform speaks as: its name, its place and its issuing body, from the county record.

Nothing here names a county: a deployment is branded by the counties it has loaded
(``manage.py region add``) and by two optional settings, ``PLATFORM_NAME`` (the platform's name
whatever the counties) and the county record's own ``issuer``, ``name_en`` and ``policy_basis``
(``manage.py region brand``).

- A user of a county (a bureau, a street office, an institution) sees its county's branding:
  "<county>托育综合监管平台", issued by "<city><county>卫生健康局".
- A city health commission sees its city's: "<city>托育综合监管平台", "<city>卫生健康委员会".
- Everyone else (visitors, superusers, API clients) sees the deployment's: its one county, or,
  when it serves several counties of one city, that city; failing both, the generic name.
"""

from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import get_language
from django.utils.translation import gettext as _

# The suffixes a county-level or city-level name ends with, dropped in the platform's short name
# (a county 区/县/市, a city 市, an autonomous prefecture or banner).
_SUFFIXES = ("自治县", "自治州", "自治旗", "林区", "特区", "地区", "区", "县", "市", "旗", "盟")


def short_name(name: str) -> str:
    """``name`` without its administrative suffix, when two characters or more are left."""
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)]
    return name


@dataclass(frozen=True)
class Branding:
    """The platform's identity on one page, receipt or notice (Chinese and English forms)."""

    code: str = ""  # the county's or city's division code; empty for the generic branding
    place: str = ""  # 某某区 / 某某市 (as the division table names it)
    place_en: str = ""  # its English name, where the county record has one
    full_place: str = ""  # 浙江省温州市某区
    issuer_zh: str = ""  # the issuing body, in Chinese
    policy_basis: str = ""  # the local plan the platform implements, as the county records it

    @property
    def _english(self) -> bool:
        return not (get_language() or settings.LANGUAGE_CODE).startswith("zh")

    @property
    def place_label(self) -> str:
        """The place in the interface language (Chinese names where no English one is recorded)."""
        return (self.place_en or self.place) if self._english else self.place

    @property
    def platform_name(self) -> str:
        """“<short place name>托育综合监管平台”: the short place name and the platform's kind, or ``PLATFORM_NAME``."""
        if settings.PLATFORM_NAME:
            return settings.PLATFORM_NAME
        if not self.place:
            return _("Childcare Supervision Platform")
        if self._english:
            return _("%(place)s Childcare Supervision Platform") % {"place": self.place_en or self.place}
        return f"{short_name(self.place)}托育综合监管平台"

    @property
    def platform_name_zh(self) -> str:
        """The platform's name in Chinese, whatever the interface language (notices, receipts)."""
        if settings.PLATFORM_NAME:
            return settings.PLATFORM_NAME
        return f"{short_name(self.place)}托育综合监管平台" if self.place else "托育综合监管平台"

    @property
    def short_name_zh(self) -> str:
        """The short place name in Chinese (区, 县, 市 dropped), or nothing for the generic branding."""
        return short_name(self.place) if self.place else ""

    @property
    def issuer(self) -> str:
        """The issuing body in the interface language (the Chinese name stands where English has none)."""
        if not self._english or not self.place_en:
            return self.issuer_zh
        return _("Health Bureau of %(place)s") % {"place": self.place_en}


GENERIC = Branding()


def county_branding(county) -> Branding:
    """The branding of one county: its record's issuer, English name and plan, or their defaults."""
    if county is None:
        return GENERIC
    return Branding(
        code=county.code,
        place=county.name,
        place_en=county.name_en,
        full_place=f"{county.province_name}{county.city_name}{county.name}",
        issuer_zh=county.issuer or f"{county.city_name}{county.name}卫生健康局",
        policy_basis=county.policy_basis,
    )


def city_branding(city_code: str, city_name: str, province_name: str) -> Branding:
    """The branding of a city deployment or a city health commission."""
    return Branding(
        code=city_code,
        place=city_name,
        full_place=f"{province_name}{city_name}",
        issuer_zh=f"{city_name}卫生健康委员会",
    )


def deployment_branding() -> Branding:
    """The deployment's own branding: its one county, else the one city its counties share.

    Two queries at most, whatever the number of counties.
    """
    from .models import County

    counties = list(County.objects.order_by("code")[:2])
    if len(counties) == 1:
        return county_branding(counties[0])
    if not counties:
        return GENERIC
    cities = list(County.objects.order_by().values_list("city_code", "city_name", "province_name").distinct()[:2])
    if len(cities) == 1:
        return city_branding(*cities[0])
    return GENERIC


def user_county(user):
    """The county a user works for: its own (bureaus), its street's or its institution's; else ``None``."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    if getattr(user, "county_id", None):
        return user.county
    if getattr(user, "street_id", None):
        return user.street.county
    if getattr(user, "institution_id", None):
        return user.institution.street.county
    return None


def branding_for(user) -> Branding:
    """The branding ``user`` sees: its county's, its city's (a city health commission), or the deployment's."""
    county = user_county(user)
    if county is not None:
        return county_branding(county)
    city_code = getattr(user, "city_code", "") if user is not None else ""
    if city_code:
        from .models import County

        city = County.objects.filter(city_code=city_code).values_list("city_name", "province_name").first()
        if city is not None:
            return city_branding(city_code, *city)
    return deployment_branding()


def schema_title_hook(result, generator, request, public):
    """drf-spectacular postprocessing: the API schema's title is the deployment's platform name."""
    from django.db import DatabaseError

    try:
        name = deployment_branding().platform_name_zh
    except DatabaseError:  # drf-spectacular's system check generates the schema before any migration has run
        return result
    result.setdefault("info", {})["title"] = f"{name} API"
    return result
