# After registry's 0009 copied every delivery's registration to its subject: the subject is
# required and the registration link goes. The overdue digest and the inbox, which are about
# registrations, move to the registry (its 0010 takes DigestRun's table over as it is).

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("exchange", "0004_generic_outbox"),
        ("registry", "0009_push_subjects"),
    ]

    operations = [
        migrations.RemoveField(model_name="pushdelivery", name="registration"),
        migrations.RemoveField(model_name="historicalpushdelivery", name="registration"),
        migrations.AlterField(
            model_name="pushdelivery",
            name="subject_type",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT, to="contenttypes.contenttype", verbose_name="subject type"
            ),
        ),
        migrations.AlterField(
            model_name="pushdelivery",
            name="subject_id",
            field=models.PositiveBigIntegerField(verbose_name="subject id"),
        ),
        migrations.AlterField(
            model_name="historicalpushdelivery",
            name="subject_id",
            field=models.PositiveBigIntegerField(verbose_name="subject id"),
        ),
        migrations.AddConstraint(
            model_name="pushdelivery",
            constraint=models.UniqueConstraint(
                fields=("subject_type", "subject_id", "topic", "channel"), name="uniq_delivery_subject_topic_channel"
            ),
        ),
        migrations.AddConstraint(
            model_name="pushdelivery",
            constraint=models.UniqueConstraint(fields=("idempotency_key", "channel"), name="uniq_delivery_key_channel"),
        ),
        migrations.AddIndex(
            model_name="pushdelivery",
            index=models.Index(fields=["subject_type", "subject_id"], name="exchange_delivery_subject_idx"),
        ),
        migrations.DeleteModel(name="InboxEntry"),
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.AlterModelTable(name="digestrun", table="registry_digestrun")],
            state_operations=[migrations.DeleteModel(name="DigestRun")],
        ),
    ]
