# The outbox becomes generic: a delivery names its topic and subject (any model, through
# contenttypes) and stores its payload; an attempt holds a lease (locked_until). The
# registration link is copied to the subject by registry's 0009 migration, then dropped (0005).

import uuid

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("exchange", "0003_historicalpushdelivery"),
    ]

    operations = [
        migrations.AddField(
            model_name="pushdelivery",
            name="topic",
            field=models.CharField(
                db_index=True, default="registry.registration_push", max_length=64, verbose_name="topic"
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="pushdelivery",
            name="subject_type",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                to="contenttypes.contenttype",
                verbose_name="subject type",
            ),
        ),
        migrations.AddField(
            model_name="pushdelivery",
            name="subject_id",
            field=models.PositiveBigIntegerField(null=True, verbose_name="subject id"),
        ),
        migrations.AddField(
            model_name="pushdelivery",
            name="subject_label",
            field=models.CharField(
                blank=True,
                help_text="What the notice is about, as its sender named it.",
                max_length=255,
                verbose_name="subject",
            ),
        ),
        migrations.AddField(
            model_name="pushdelivery",
            name="payload",
            field=models.JSONField(blank=True, default=dict, verbose_name="payload"),
        ),
        migrations.AddField(
            model_name="pushdelivery",
            name="locked_until",
            field=models.DateTimeField(blank=True, null=True, verbose_name="locked until"),
        ),
        migrations.AlterField(
            model_name="pushdelivery",
            name="idempotency_key",
            field=models.UUIDField(default=uuid.uuid4, editable=False, verbose_name="idempotency key"),
        ),
        migrations.RemoveConstraint(model_name="pushdelivery", name="uniq_delivery_registration_channel"),
        migrations.AlterField(
            model_name="historicalpushdelivery",
            name="idempotency_key",
            field=models.UUIDField(default=uuid.uuid4, editable=False, verbose_name="idempotency key"),
        ),
        migrations.AddField(
            model_name="historicalpushdelivery",
            name="topic",
            field=models.CharField(
                db_index=True, default="registry.registration_push", max_length=64, verbose_name="topic"
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="historicalpushdelivery",
            name="subject_type",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="contenttypes.contenttype",
                verbose_name="subject type",
            ),
        ),
        migrations.AddField(
            model_name="historicalpushdelivery",
            name="subject_id",
            field=models.PositiveBigIntegerField(null=True, verbose_name="subject id"),
        ),
        migrations.AddField(
            model_name="historicalpushdelivery",
            name="subject_label",
            field=models.CharField(
                blank=True,
                help_text="What the notice is about, as its sender named it.",
                max_length=255,
                verbose_name="subject",
            ),
        ),
        migrations.AddField(
            model_name="historicalpushdelivery",
            name="payload",
            field=models.JSONField(blank=True, default=dict, verbose_name="payload"),
        ),
    ]
