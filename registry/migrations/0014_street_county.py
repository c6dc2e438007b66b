"""Every street belongs to a county: the county of the streets already here is recorded.

The streets seeded so far are Lucheng's (the squashed 0001 seeded them; on a database created
since, it seeds none and 0016 loads the configured counties), so they are given the
county 330302 鹿城区 of the national division table (its row in
``luchen_care/regions/data/china-division-2.7.0/areas.csv``, written out here as a migration
must not read app code that may change). A street whose code is not Lucheng's would make this
migration fail rather than guess its county. Names become unique within their county.
"""

import django.db.models.deletion
from django.db import migrations, models

LUCHENG = {
    "code": "330302",
    "name": "鹿城区",
    "city_code": "3303",
    "city_name": "温州市",
    "province_code": "33",
    "province_name": "浙江省",
}


def give_streets_their_county(apps, schema_editor):
    Street = apps.get_model("registry", "Street")
    County = apps.get_model("regions", "County")
    streets = Street.objects.all()
    if not streets.exists():
        return
    strangers = list(streets.exclude(code__startswith=LUCHENG["code"]).values_list("code", flat=True))
    if strangers:
        raise RuntimeError(f"streets outside {LUCHENG['code']} without a known county: {strangers}")
    county, _created = County.objects.get_or_create(code=LUCHENG["code"], defaults=LUCHENG)
    streets.update(county=county)


class Migration(migrations.Migration):
    dependencies = [
        ("regions", "0001_initial"),
        ("registry", "0013_registration_push_rule_required"),
    ]

    operations = [
        migrations.AddField(
            model_name="street",
            name="county",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="streets",
                to="regions.county",
                verbose_name="county",
            ),
        ),
        migrations.RunPython(give_streets_their_county, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="street",
            name="county",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="streets",
                to="regions.county",
                verbose_name="county",
            ),
        ),
        migrations.AlterField(
            model_name="street",
            name="name",
            field=models.CharField(max_length=50, verbose_name="name"),
        ),
        migrations.AlterField(
            model_name="street",
            name="kind",
            field=models.CharField(
                choices=[("street", "Street"), ("town", "Town"), ("township", "Township")],
                default="street",
                max_length=10,
                verbose_name="type",
            ),
        ),
        migrations.AddConstraint(
            model_name="street",
            constraint=models.UniqueConstraint(fields=("county", "name"), name="uniq_street_name_in_county"),
        ),
    ]
