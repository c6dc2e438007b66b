"""A daily digest per county: the runs of a single-county deployment become that county's.

With several counties already loaded (or none), the earlier runs stay the whole deployment's
(no county), read by superusers only, as before.
"""

import django.db.models.deletion
from django.db import migrations, models


def give_runs_their_county(apps, schema_editor):
    counties = list(apps.get_model("regions", "County").objects.all()[:2])
    if len(counties) == 1:
        apps.get_model("registry", "DigestRun").objects.filter(county__isnull=True).update(county=counties[0])


class Migration(migrations.Migration):

    dependencies = [
        ('regions', '0002_county_branding'),
        ('registry', '0016_load_configured_counties'),
    ]

    operations = [
        migrations.AlterModelOptions(
            name='digestrun',
            options={'ordering': ['-date', 'county__code'], 'verbose_name': 'overdue digest', 'verbose_name_plural': 'overdue digests'},
        ),
        migrations.AddField(
            model_name='digestrun',
            name='county',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='regions.county', verbose_name='county'),
        ),
        migrations.AlterField(
            model_name='digestrun',
            name='date',
            field=models.DateField(verbose_name='date'),
        ),
        migrations.RunPython(give_runs_their_county, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name='digestrun',
            constraint=models.UniqueConstraint(fields=('date', 'county'), name='uniq_digest_county_day'),
        ),
        migrations.AddConstraint(
            model_name='digestrun',
            constraint=models.UniqueConstraint(condition=models.Q(('county__isnull', True)), fields=('date',), name='uniq_digest_deployment_day'),
        ),
    ]
