# Registry's migrations 0001–0010 squashed into one (Django 5.2.19). The operations are the old
# ones folded together, in their order, so that every table gets its columns in the order the old
# migrations left them: a database migrated from zero has the same schema as one that applied 0001–0010.
#
# ``replaces``: the platform has never been deployed, but developer databases have applied the old
# migrations (the newcomer's db.sqlite3 from ``make run``, a test database kept with --reuse-db).
# Django records this migration as applied on a database that applied all of 0001–0010, instead of
# running it again, and 0011 onwards follow as before. A database that applied only some of them
# cannot be migrated any more (their files are gone): drop it and migrate from zero.
#
# What the old migrations did besides the schema:
# - 0002_streets seeded Lucheng's 12 streets and 2 towns: kept (load_streets, below).
# - 0009_push_subjects copied each outbox delivery's registration to the delivery's generic subject.
#   It is not carried over: it converted rows of the outbox's old shape, and the squashed exchange
#   migration creates the outbox in its final shape, on a database where it did not exist, so there
#   is nothing to convert.
# - 0010 took over the DigestRun table exchange had created (SeparateDatabaseAndState) and dropped its
#   attempts and last_error columns; here the registry creates DigestRun as it is now.

import django.core.validators
import django.db.models.deletion
import django.utils.timezone
import registry.validators
import simple_history.models
import uuid
from django.conf import settings
from django.db import migrations, models

# The streets once seeded here come from the national division table now: the counties named in
# ``LUCHEN_CARE_COUNTIES`` are loaded by 0016, any other by ``manage.py region add <code>``.


class Migration(migrations.Migration):

    replaces = [
        ('registry', '0001_initial'),
        ('registry', '0002_streets'),
        ('registry', '0003_historicalregistration_registration'),
        ('registry', '0004_institution_phone_optional'),
        ('registry', '0005_institution_name_indexes'),
        ('registry', '0006_institution_street_status_index'),
        ('registry', '0007_registration_correction_reason'),
        ('registry', '0008_institution_transition'),
        ('registry', '0009_push_subjects'),
        ('registry', '0010_digestrun_inboxentry'),
    ]

    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='Street',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('code', models.CharField(max_length=12, unique=True, verbose_name='NBS code')),
                ('name', models.CharField(max_length=50, unique=True, verbose_name='name')),
                ('kind', models.CharField(choices=[('street', 'Street'), ('town', 'Town')], default='street', max_length=10, verbose_name='type')),
            ],
            options={
                'verbose_name': 'street or town',
                'verbose_name_plural': 'streets and towns',
                'ordering': ['code'],
            },
        ),
        migrations.CreateModel(
            name='Institution',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False, verbose_name='created at')),
                ('modified_at', models.DateTimeField(auto_now=True, verbose_name='modified at')),
                ('archived', models.BooleanField(db_index=True, default=False, verbose_name='archived')),
                ('archived_on', models.DateTimeField(blank=True, editable=False, null=True, verbose_name='archived on')),
                ('archived_reason', models.TextField(blank=True, verbose_name='reason for archiving')),
                ('name', models.CharField(max_length=200, verbose_name='name')),
                ('credit_code', models.CharField(help_text='18 characters, GB 32100-2015.', max_length=18, unique=True, validators=[registry.validators.validate_credit_code], verbose_name='unified social credit code')),
                ('kind', models.CharField(choices=[('standalone', 'Stand-alone childcare institution'), ('nursery_class', 'Kindergarten nursery class'), ('employer', 'Employer-run'), ('community', 'Community-embedded'), ('family', 'Family care point')], max_length=20, verbose_name='kind')),
                ('ownership', models.CharField(choices=[('public', 'Public'), ('private', 'Private (social forces)')], max_length=10, verbose_name='ownership')),
                ('for_profit', models.BooleanField(default=False, verbose_name='for-profit')),
                ('inclusive', models.BooleanField(default=False, verbose_name='inclusive (普惠)')),
                ('registration_authority', models.CharField(blank=True, choices=[('market_regulation', 'Market regulation bureau'), ('civil_affairs', 'Civil affairs bureau'), ('establishment_office', 'Establishment office')], max_length=32, verbose_name='registration authority')),
                ('address', models.CharField(max_length=255, verbose_name='address')),
                ('legal_representative', models.CharField(max_length=50, verbose_name='legal representative')),
                ('contact_phone', models.CharField(blank=True, max_length=20, validators=[registry.validators.validate_phone], verbose_name='contact phone')),
                ('approved_places', models.PositiveIntegerField(default=0, verbose_name='approved places')),
                ('demonstration_level', models.CharField(blank=True, choices=[('', 'None'), ('district', 'District demonstration unit'), ('city', 'City demonstration unit'), ('provincial', 'Provincial demonstration unit')], max_length=12, verbose_name='demonstration level')),
                ('livelihood_project', models.BooleanField(default=False, verbose_name='livelihood project (民生实事)')),
                ('status', models.CharField(choices=[('registered', 'Registered'), ('filed', 'Filed'), ('operating', 'Operating'), ('suspended', 'Suspended'), ('closed', 'Closed')], default='registered', max_length=12, verbose_name='status')),
                ('registered_on', models.DateField(blank=True, null=True, verbose_name='registered on')),
                ('filed_on', models.DateField(blank=True, null=True, verbose_name='filed on')),
                ('operating_since', models.DateField(blank=True, null=True, verbose_name='operating since')),
                ('suspended_on', models.DateField(blank=True, null=True, verbose_name='suspended on')),
                ('closed_on', models.DateField(blank=True, null=True, verbose_name='closed on')),
                ('archived_by', models.ForeignKey(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='archived by')),
                ('created_by', models.ForeignKey(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='created by')),
                ('head_office', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='branches', to='registry.institution', verbose_name='chain head office')),
                ('modified_by', models.ForeignKey(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='modified by')),
                ('street', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='institutions', to='registry.street', verbose_name='street or town')),
            ],
            options={
                'verbose_name': 'childcare institution',
                'verbose_name_plural': 'childcare institutions',
                'ordering': ['street__code', 'name'],
            },
        ),
        migrations.CreateModel(
            name='HistoricalInstitutionClass',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('class_type', models.CharField(choices=[('infant', 'Infant class (6–12 months)'), ('toddler', 'Toddler class (12–24 months)'), ('older', 'Older toddler class (24–36 months)'), ('mixed', 'Mixed-age class (18 months+)')], max_length=10, verbose_name='class type')),
                ('class_count', models.PositiveSmallIntegerField(validators=[django.core.validators.MinValueValidator(1)], verbose_name='number of classes')),
                ('capacity', models.PositiveIntegerField(validators=[django.core.validators.MinValueValidator(1)], verbose_name='capacity (children)')),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.CharField(max_length=100, null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('institution', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='registry.institution', verbose_name='institution')),
            ],
            options={
                'verbose_name': 'historical institution class',
                'verbose_name_plural': 'historical classes',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='HistoricalStreetPopulation',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False, verbose_name='created at')),
                ('modified_at', models.DateTimeField(blank=True, editable=False, verbose_name='modified at')),
                ('year', models.PositiveSmallIntegerField(validators=[django.core.validators.MinValueValidator(2000)], verbose_name='year')),
                ('population', models.PositiveIntegerField(verbose_name='resident population')),
                ('source', models.CharField(blank=True, max_length=200, verbose_name='source')),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.CharField(max_length=100, null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('created_by', models.ForeignKey(blank=True, db_constraint=False, editable=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='created by')),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('modified_by', models.ForeignKey(blank=True, db_constraint=False, editable=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='modified by')),
                ('street', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='registry.street')),
            ],
            options={
                'verbose_name': 'historical street population',
                'verbose_name_plural': 'historical resident populations',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='HistoricalInstitution',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False, verbose_name='created at')),
                ('archived', models.BooleanField(db_index=True, default=False, verbose_name='archived')),
                ('archived_on', models.DateTimeField(blank=True, editable=False, null=True, verbose_name='archived on')),
                ('archived_reason', models.TextField(blank=True, verbose_name='reason for archiving')),
                ('name', models.CharField(max_length=200, verbose_name='name')),
                ('credit_code', models.CharField(db_index=True, help_text='18 characters, GB 32100-2015.', max_length=18, validators=[registry.validators.validate_credit_code], verbose_name='unified social credit code')),
                ('kind', models.CharField(choices=[('standalone', 'Stand-alone childcare institution'), ('nursery_class', 'Kindergarten nursery class'), ('employer', 'Employer-run'), ('community', 'Community-embedded'), ('family', 'Family care point')], max_length=20, verbose_name='kind')),
                ('ownership', models.CharField(choices=[('public', 'Public'), ('private', 'Private (social forces)')], max_length=10, verbose_name='ownership')),
                ('for_profit', models.BooleanField(default=False, verbose_name='for-profit')),
                ('inclusive', models.BooleanField(default=False, verbose_name='inclusive (普惠)')),
                ('registration_authority', models.CharField(blank=True, choices=[('market_regulation', 'Market regulation bureau'), ('civil_affairs', 'Civil affairs bureau'), ('establishment_office', 'Establishment office')], max_length=32, verbose_name='registration authority')),
                ('address', models.CharField(max_length=255, verbose_name='address')),
                ('legal_representative', models.CharField(max_length=50, verbose_name='legal representative')),
                ('contact_phone', models.CharField(blank=True, max_length=20, validators=[registry.validators.validate_phone], verbose_name='contact phone')),
                ('approved_places', models.PositiveIntegerField(default=0, verbose_name='approved places')),
                ('demonstration_level', models.CharField(blank=True, choices=[('', 'None'), ('district', 'District demonstration unit'), ('city', 'City demonstration unit'), ('provincial', 'Provincial demonstration unit')], max_length=12, verbose_name='demonstration level')),
                ('livelihood_project', models.BooleanField(default=False, verbose_name='livelihood project (民生实事)')),
                ('status', models.CharField(choices=[('registered', 'Registered'), ('filed', 'Filed'), ('operating', 'Operating'), ('suspended', 'Suspended'), ('closed', 'Closed')], default='registered', max_length=12, verbose_name='status')),
                ('registered_on', models.DateField(blank=True, null=True, verbose_name='registered on')),
                ('filed_on', models.DateField(blank=True, null=True, verbose_name='filed on')),
                ('operating_since', models.DateField(blank=True, null=True, verbose_name='operating since')),
                ('suspended_on', models.DateField(blank=True, null=True, verbose_name='suspended on')),
                ('closed_on', models.DateField(blank=True, null=True, verbose_name='closed on')),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.CharField(max_length=100, null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('archived_by', models.ForeignKey(blank=True, db_constraint=False, editable=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='archived by')),
                ('created_by', models.ForeignKey(blank=True, db_constraint=False, editable=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='created by')),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('modified_by', models.ForeignKey(blank=True, db_constraint=False, editable=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='modified by')),
                ('head_office', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='registry.institution', verbose_name='chain head office')),
                ('street', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='registry.street', verbose_name='street or town')),
            ],
            options={
                'verbose_name': 'historical institution',
                'verbose_name_plural': 'historical childcare institutions',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='StreetPopulation',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False, verbose_name='created at')),
                ('modified_at', models.DateTimeField(auto_now=True, verbose_name='modified at')),
                ('year', models.PositiveSmallIntegerField(validators=[django.core.validators.MinValueValidator(2000)], verbose_name='year')),
                ('population', models.PositiveIntegerField(verbose_name='resident population')),
                ('source', models.CharField(blank=True, max_length=200, verbose_name='source')),
                ('created_by', models.ForeignKey(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='created by')),
                ('modified_by', models.ForeignKey(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='modified by')),
                ('street', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='populations', to='registry.street')),
            ],
            options={
                'verbose_name': 'resident population',
                'verbose_name_plural': 'resident populations',
                'ordering': ['street__code', '-year'],
            },
        ),
        migrations.CreateModel(
            name='InstitutionClass',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('class_type', models.CharField(choices=[('infant', 'Infant class (6–12 months)'), ('toddler', 'Toddler class (12–24 months)'), ('older', 'Older toddler class (24–36 months)'), ('mixed', 'Mixed-age class (18 months+)')], max_length=10, verbose_name='class type')),
                ('class_count', models.PositiveSmallIntegerField(validators=[django.core.validators.MinValueValidator(1)], verbose_name='number of classes')),
                ('capacity', models.PositiveIntegerField(validators=[django.core.validators.MinValueValidator(1)], verbose_name='capacity (children)')),
                ('institution', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='classes', to='registry.institution', verbose_name='institution')),
            ],
            options={
                'verbose_name': 'class',
                'verbose_name_plural': 'classes',
                'ordering': ['institution', 'class_type'],
                'constraints': [models.UniqueConstraint(fields=('institution', 'class_type'), name='uniq_institution_class_type')],
            },
        ),
        migrations.AddIndex(
            model_name='institution',
            index=models.Index(fields=['street', 'kind'], name='registry_in_street__fe9b6d_idx'),
        ),
        migrations.AddIndex(
            model_name='institution',
            index=models.Index(fields=['status'], name='registry_in_status_d8ff9b_idx'),
        ),
        migrations.AddIndex(
            model_name='institution',
            index=models.Index(fields=['kind'], name='registry_in_kind_00df8e_idx'),
        ),
        migrations.AddConstraint(
            model_name='streetpopulation',
            constraint=models.UniqueConstraint(fields=('street', 'year'), name='uniq_street_population_year'),
        ),
        migrations.AddIndex(
            model_name='institution',
            index=models.Index(fields=['name'], name='registry_inst_name_idx'),
        ),
        migrations.AddIndex(
            model_name='institution',
            index=models.Index(fields=['street', 'name'], name='registry_inst_street_name_idx'),
        ),
        migrations.AddIndex(
            model_name='institution',
            index=models.Index(fields=['street', 'status'], name='registry_inst_street_stat_idx'),
        ),
        migrations.CreateModel(
            name='HistoricalRegistration',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False, verbose_name='created at')),
                ('authority', models.CharField(choices=[('market_regulation', 'Market regulation bureau'), ('civil_affairs', 'Civil affairs bureau'), ('establishment_office', 'Establishment office')], max_length=32, verbose_name='registration authority')),
                ('registration_number', models.CharField(max_length=64, verbose_name='registration number')),
                ('registered_on', models.DateField(verbose_name='registered on')),
                ('kind', models.CharField(choices=[('new', 'New registration'), ('change', 'Change of registration'), ('deregistration', 'Deregistration')], max_length=20, verbose_name='kind of registration')),
                ('data', models.JSONField(default=dict, verbose_name='data as registered')),
                ('source', models.CharField(choices=[('admin', 'Entered in the admin'), ('api', 'Received through the API'), ('excel', 'Imported from Excel')], max_length=10, verbose_name='source')),
                ('push_deadline', models.DateField(verbose_name='push deadline')),
                ('push_deadline_provisional', models.BooleanField(default=False, help_text='Counted Monday to Friday because the official holiday calendar for that year is not known yet.', verbose_name='deadline provisional')),
                ('push_status', models.CharField(choices=[('pending', 'Awaiting push'), ('pushed', 'Pushed'), ('failed', 'Push failed')], db_index=True, default='pending', max_length=10, verbose_name='push status')),
                ('pushed_at', models.DateTimeField(blank=True, null=True, verbose_name='pushed at')),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.CharField(max_length=100, null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('created_by', models.ForeignKey(blank=True, db_constraint=False, editable=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='created by')),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('institution', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='registry.institution', verbose_name='institution')),
                ('modified_by', models.ForeignKey(blank=True, db_constraint=False, editable=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='modified by')),
                ('correction_reason', models.CharField(blank=True, help_text='Given by the health bureau when it records a registration whose credit code or institution does not match the registration authority.', max_length=255, verbose_name='correction reason')),
            ],
            options={
                'verbose_name': 'historical registration',
                'verbose_name_plural': 'historical registrations',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='Registration',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False, verbose_name='created at')),
                ('modified_at', models.DateTimeField(auto_now=True, verbose_name='modified at')),
                ('authority', models.CharField(choices=[('market_regulation', 'Market regulation bureau'), ('civil_affairs', 'Civil affairs bureau'), ('establishment_office', 'Establishment office')], max_length=32, verbose_name='registration authority')),
                ('registration_number', models.CharField(max_length=64, verbose_name='registration number')),
                ('registered_on', models.DateField(verbose_name='registered on')),
                ('kind', models.CharField(choices=[('new', 'New registration'), ('change', 'Change of registration'), ('deregistration', 'Deregistration')], max_length=20, verbose_name='kind of registration')),
                ('data', models.JSONField(default=dict, verbose_name='data as registered')),
                ('source', models.CharField(choices=[('admin', 'Entered in the admin'), ('api', 'Received through the API'), ('excel', 'Imported from Excel')], max_length=10, verbose_name='source')),
                ('push_deadline', models.DateField(verbose_name='push deadline')),
                ('push_deadline_provisional', models.BooleanField(default=False, help_text='Counted Monday to Friday because the official holiday calendar for that year is not known yet.', verbose_name='deadline provisional')),
                ('push_status', models.CharField(choices=[('pending', 'Awaiting push'), ('pushed', 'Pushed'), ('failed', 'Push failed')], db_index=True, default='pending', max_length=10, verbose_name='push status')),
                ('pushed_at', models.DateTimeField(blank=True, null=True, verbose_name='pushed at')),
                ('created_by', models.ForeignKey(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='created by')),
                ('institution', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='registrations', to='registry.institution', verbose_name='institution')),
                ('modified_by', models.ForeignKey(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='modified by')),
                ('correction_reason', models.CharField(blank=True, help_text='Given by the health bureau when it records a registration whose credit code or institution does not match the registration authority.', max_length=255, verbose_name='correction reason')),
            ],
            options={
                'verbose_name': 'registration',
                'verbose_name_plural': 'registrations',
                'ordering': ['-registered_on', '-id'],
                'indexes': [models.Index(fields=['push_status', 'push_deadline'], name='registry_re_push_st_223769_idx')],
                'constraints': [models.UniqueConstraint(fields=('authority', 'registration_number'), name='uniq_registration_authority_number')],
            },
        ),
        migrations.CreateModel(
            name='InstitutionTransition',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(choices=[('mark_filed', 'Record the filing'), ('mark_operating', 'Record the start of operations'), ('suspend', 'Suspend'), ('resume', 'Resume'), ('close', 'Close')], max_length=20, verbose_name='step')),
                ('source', models.CharField(choices=[('registered', 'Registered'), ('filed', 'Filed'), ('operating', 'Operating'), ('suspended', 'Suspended'), ('closed', 'Closed')], max_length=12, verbose_name='from status')),
                ('target', models.CharField(choices=[('registered', 'Registered'), ('filed', 'Filed'), ('operating', 'Operating'), ('suspended', 'Suspended'), ('closed', 'Closed')], max_length=12, verbose_name='to status')),
                ('effective_on', models.DateField(verbose_name='effective on')),
                ('document_reference', models.CharField(blank=True, max_length=100, verbose_name='document reference')),
                ('comment', models.TextField(blank=True, verbose_name='reason')),
                ('recorded_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='recorded at')),
                ('actor', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='recorded by')),
                ('institution', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='transitions', to='registry.institution', verbose_name='institution')),
            ],
            options={
                'verbose_name': 'lifecycle step',
                'verbose_name_plural': 'lifecycle steps',
                'ordering': ['institution', 'recorded_at', 'id'],
            },
        ),
        migrations.CreateModel(
            name='DigestRun',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('date', models.DateField(unique=True, verbose_name='date')),
                ('idempotency_key', models.UUIDField(default=uuid.uuid4, editable=False, unique=True, verbose_name='idempotency key')),
                ('registration_ids', models.JSONField(default=list, verbose_name='overdue registrations')),
                ('channels_done', models.JSONField(default=list, verbose_name='channels delivered')),
                ('sent_at', models.DateTimeField(blank=True, null=True, verbose_name='sent at')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
            ],
            options={
                'verbose_name': 'overdue digest',
                'verbose_name_plural': 'overdue digests',
                'ordering': ['-date'],
            },
        ),
        migrations.CreateModel(
            name='InboxEntry',
            fields=[
            ],
            options={
                'verbose_name': 'registration awaiting filing',
                'verbose_name_plural': 'registrations awaiting filing',
                'proxy': True,
                'indexes': [],
                'constraints': [],
            },
            bases=('registry.registration',),
        ),
    ]
