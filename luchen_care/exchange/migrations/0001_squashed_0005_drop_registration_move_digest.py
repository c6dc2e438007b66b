# The outbox's migrations 0001–0005 squashed into one (Django 5.2.19): PushDelivery and its history
# as they are now, each table's columns in the order the old migrations left them, so that a
# database migrated from zero has the same schema as one that applied 0001–0005.
#
# ``replaces``: the platform has never been deployed, but developer databases have applied the old
# migrations (the newcomer's db.sqlite3 from ``make run``, a test database kept with --reuse-db).
# Django records this migration as applied on a database that applied all of 0001–0005, instead of
# running it again. A database that applied only some of them cannot be migrated any more (their
# files are gone): drop it and migrate from zero.
#
# What the old migrations did and this one need not: 0001–0003 gave a delivery a foreign key to its
# registration, which registry's old 0009 copied to the generic subject before 0005 dropped it (that
# copy had rows to convert only in a database with the old outbox); 0002 created DigestRun and an
# inbox proxy, which 0005 handed to the registry, whose squashed 0001 now creates them. So the outbox
# no longer depends on any registry migration.

import django.db.models.deletion
import simple_history.models
import uuid
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    replaces = [
        ('exchange', '0001_initial'),
        ('exchange', '0002_digestrun_inboxentry'),
        ('exchange', '0003_historicalpushdelivery'),
        ('exchange', '0004_generic_outbox'),
        ('exchange', '0005_drop_registration_move_digest'),
    ]

    initial = True

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='HistoricalPushDelivery',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('channel', models.CharField(choices=[('webhook', 'Health bureau exchange endpoint (HTTP)'), ('dingtalk', 'DingTalk group robot'), ('inbox', 'Health bureau inbox in the platform')], max_length=10, verbose_name='channel')),
                ('idempotency_key', models.UUIDField(default=uuid.uuid4, editable=False, verbose_name='idempotency key')),
                ('status', models.CharField(choices=[('pending', 'Pending'), ('delivered', 'Delivered'), ('failed', 'Failed')], db_index=True, default='pending', max_length=10, verbose_name='status')),
                ('attempts', models.PositiveIntegerField(default=0, verbose_name='attempts')),
                ('last_error', models.TextField(blank=True, verbose_name='last error')),
                ('last_response_status', models.PositiveSmallIntegerField(blank=True, null=True, verbose_name='last response status')),
                ('last_response_body', models.TextField(blank=True, verbose_name='last response body')),
                ('next_attempt_at', models.DateTimeField(blank=True, null=True, verbose_name='next attempt at')),
                ('delivered_at', models.DateTimeField(blank=True, null=True, verbose_name='delivered at')),
                ('created_at', models.DateTimeField(blank=True, editable=False, verbose_name='created at')),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.CharField(max_length=100, null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('topic', models.CharField(db_index=True, max_length=64, verbose_name='topic')),
                ('subject_type', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='contenttypes.contenttype', verbose_name='subject type')),
                ('subject_id', models.PositiveBigIntegerField(verbose_name='subject id')),
                ('subject_label', models.CharField(blank=True, help_text='What the notice is about, as its sender named it.', max_length=255, verbose_name='subject')),
                ('payload', models.JSONField(blank=True, default=dict, verbose_name='payload')),
            ],
            options={
                'verbose_name': 'historical push delivery',
                'verbose_name_plural': 'historical push deliveries',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='PushDelivery',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('channel', models.CharField(choices=[('webhook', 'Health bureau exchange endpoint (HTTP)'), ('dingtalk', 'DingTalk group robot'), ('inbox', 'Health bureau inbox in the platform')], max_length=10, verbose_name='channel')),
                ('idempotency_key', models.UUIDField(default=uuid.uuid4, editable=False, verbose_name='idempotency key')),
                ('status', models.CharField(choices=[('pending', 'Pending'), ('delivered', 'Delivered'), ('failed', 'Failed')], db_index=True, default='pending', max_length=10, verbose_name='status')),
                ('attempts', models.PositiveIntegerField(default=0, verbose_name='attempts')),
                ('last_error', models.TextField(blank=True, verbose_name='last error')),
                ('last_response_status', models.PositiveSmallIntegerField(blank=True, null=True, verbose_name='last response status')),
                ('last_response_body', models.TextField(blank=True, verbose_name='last response body')),
                ('next_attempt_at', models.DateTimeField(blank=True, null=True, verbose_name='next attempt at')),
                ('delivered_at', models.DateTimeField(blank=True, null=True, verbose_name='delivered at')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated at')),
                ('topic', models.CharField(db_index=True, max_length=64, verbose_name='topic')),
                ('subject_type', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, to='contenttypes.contenttype', verbose_name='subject type')),
                ('subject_id', models.PositiveBigIntegerField(verbose_name='subject id')),
                ('subject_label', models.CharField(blank=True, help_text='What the notice is about, as its sender named it.', max_length=255, verbose_name='subject')),
                ('payload', models.JSONField(blank=True, default=dict, verbose_name='payload')),
                ('locked_until', models.DateTimeField(blank=True, null=True, verbose_name='locked until')),
            ],
            options={
                'verbose_name': 'push delivery',
                'verbose_name_plural': 'push deliveries',
                'ordering': ['-created_at'],
                'indexes': [models.Index(fields=['subject_type', 'subject_id'], name='exchange_delivery_subject_idx')],
                'constraints': [models.UniqueConstraint(fields=('subject_type', 'subject_id', 'topic', 'channel'), name='uniq_delivery_subject_topic_channel'), models.UniqueConstraint(fields=('idempotency_key', 'channel'), name='uniq_delivery_key_channel')],
            },
        ),
    ]
