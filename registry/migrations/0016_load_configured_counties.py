"""Load the deployment's counties and their streets from the national division table.

The counties are those of the ``LUCHEN_CARE_COUNTIES`` setting (``REGION_COUNTIES``); with none
set, nothing is loaded and ``manage.py region add <code>`` does it later, the same way. Like
``region add`` it is idempotent: a county or street already recorded is left as it is. It runs once,
on the first migrate: a county added to the setting afterwards is added with ``region add``. The
table is the vendored data file (``luchen_care/regions/data``), read with its reader, which only
parses the CSV files.
"""

from django.conf import settings
from django.db import migrations


def _kind(name):
    if name.endswith("镇"):
        return "town"
    if name.endswith("乡"):
        return "township"
    return "street"


def load_configured_counties(apps, schema_editor):
    codes = [code.strip() for code in getattr(settings, "REGION_COUNTIES", []) or [] if code.strip()]
    if not codes:
        return
    from luchen_care.regions.division import vendored_table

    County = apps.get_model("regions", "County")
    Street = apps.get_model("registry", "Street")
    table = vendored_table()
    for code in codes:
        area = table.area(code)
        if area is None or area.development_zone:
            raise RuntimeError(f"LUCHEN_CARE_COUNTIES: {code} is not a county of the national division table")
        county, _created = County.objects.get_or_create(
            code=area.code,
            defaults={
                "name": area.name,
                "city_code": area.city_code,
                "city_name": area.city_name,
                "province_code": area.province_code,
                "province_name": area.province_name,
            },
        )
        for township in table.townships_of(area.code):
            street, _created = Street.objects.get_or_create(
                code=township.code, defaults={"county": county, "name": township.name, "kind": _kind(township.name)}
            )
            if street.county_id != county.pk:
                raise RuntimeError(f"street {township.code} is already recorded under another county")


class Migration(migrations.Migration):
    dependencies = [
        ("regions", "0002_county_branding"),
        ("registry", "0015_push_window_county"),
    ]

    operations = [migrations.RunPython(load_configured_counties, migrations.RunPython.noop)]
