# The overdue digest and the inbox of registrations awaiting filing move from the outbox
# (exchange) to the registry. DigestRun's table was renamed to registry_digestrun by
# exchange's 0005; here the registry takes it over as it is, then drops the columns the
# outbox now keeps per delivery (attempts, last error).

import uuid

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("exchange", "0005_drop_registration_move_digest"),
        ("registry", "0009_push_subjects"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="DigestRun",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("date", models.DateField(unique=True, verbose_name="date")),
                        (
                            "idempotency_key",
                            models.UUIDField(
                                default=uuid.uuid4, editable=False, unique=True, verbose_name="idempotency key"
                            ),
                        ),
                        ("registration_ids", models.JSONField(default=list, verbose_name="overdue registrations")),
                        ("channels_done", models.JSONField(default=list, verbose_name="channels delivered")),
                        ("attempts", models.PositiveIntegerField(default=0, verbose_name="attempts")),
                        ("last_error", models.TextField(blank=True, verbose_name="last error")),
                        ("sent_at", models.DateTimeField(blank=True, null=True, verbose_name="sent at")),
                        ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="created at")),
                    ],
                    options={
                        "verbose_name": "overdue digest",
                        "verbose_name_plural": "overdue digests",
                        "ordering": ["-date"],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RemoveField(model_name="digestrun", name="attempts"),
        migrations.RemoveField(model_name="digestrun", name="last_error"),
        migrations.CreateModel(
            name="InboxEntry",
            fields=[],
            options={
                "verbose_name": "registration awaiting filing",
                "verbose_name_plural": "registrations awaiting filing",
                "proxy": True,
                "indexes": [],
                "constraints": [],
            },
            bases=("registry.registration",),
        ),
    ]
