"""Writes to counties. The division table is read-only data; a county enters the platform here."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .division import vendored_table
from .models import County


@transaction.atomic
def county_add(*, code, table=None, allow_development_zone=False) -> tuple[County, bool]:
    """Record the county-level unit ``code`` from the division table; ``(county, created)``.

    Idempotent: a county already recorded is returned as it is (a renamed unit is the bureau's to
    apply, after ``region diff``). A development zone (xx71–xx79) has no health bureau of its own
    and is refused unless ``allow_development_zone``.
    """
    table = table or vendored_table()
    area = table.area(code)
    if area is None:
        raise ValidationError(_("%(code)s is not a county-level division code of the national table.") % {"code": code})
    if area.development_zone and not allow_development_zone:
        raise ValidationError(
            _(
                "%(code)s %(name)s is a development zone (a statistical unit, codes xx71–xx79) with no "
                "health bureau of its own; it is not offered as a county."
            )
            % {"code": area.code, "name": area.name}
        )
    return County.objects.get_or_create(
        code=area.code,
        defaults={
            "name": area.name,
            "city_code": area.city_code,
            "city_name": area.city_name,
            "province_code": area.province_code,
            "province_name": area.province_name,
        },
    )


BRAND_FIELDS = ("name_en", "issuer", "policy_basis")


@transaction.atomic
def county_brand(*, county, **fields) -> County:
    """Set a county's branding (``name_en``, ``issuer``, ``policy_basis``); a blank value means derived.

    What the platform is called and who issues its receipts and notices for this county
    (``luchen_care.regions.branding``). Only these fields change; an unknown one is refused.
    """
    unknown = set(fields) - set(BRAND_FIELDS)
    if unknown:
        raise ValidationError(_("Unknown branding fields: %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    for name, value in fields.items():
        setattr(county, name, (value or "").strip())
    county.full_clean()
    county.save(update_fields=list(fields))
    return county
