"""DRF's plain-text tokens (``authtoken_token``) become hashed ``ApiToken`` rows, and the table goes.

Each existing key keeps working: its SHA-256 is stored, named "API", valid for
``API_TOKEN_TTL_DAYS`` from the migration. Then the plain-text table is dropped, its migration
records and content types removed, and the admin log rows that named a token by its key (DRF's
``TokenProxy`` had the key as its id and, before the platform renamed it, as its name) are
rewritten to name the account instead. A database that never had DRF's tokens skips all this.
"""

import datetime
import hashlib

from django.conf import settings
from django.db import migrations
from django.utils import timezone


def convert(apps, schema_editor):
    connection = schema_editor.connection
    if "authtoken_token" not in connection.introspection.table_names():
        return
    ApiToken = apps.get_model("accounts", "ApiToken")
    User = apps.get_model("accounts", "User")
    now = timezone.now()
    expires = now + datetime.timedelta(days=settings.API_TOKEN_TTL_DAYS)
    with connection.cursor() as cursor:
        cursor.execute("SELECT key, user_id, created FROM authtoken_token")
        rows = cursor.fetchall()
    by_key = {}
    for key, user_id, created in rows:
        token = ApiToken.objects.create(
            user_id=user_id,
            name="API",
            prefix=key[:8],
            key_hash=hashlib.sha256(key.encode()).hexdigest(),
            created_at=created or now,
            expires_at=expires,
        )
        by_key[key] = token
    try:
        ContentType = apps.get_model("contenttypes", "ContentType")
        LogEntry = apps.get_model("admin", "LogEntry")
    except LookupError:
        ContentType = LogEntry = None
    if ContentType is not None:
        token_types = ContentType.objects.filter(app_label="authtoken")
        api_token_type, _created = ContentType.objects.get_or_create(app_label="accounts", model="apitoken")
        usernames = dict(User.objects.values_list("pk", "username"))
        for entry in LogEntry.objects.filter(content_type__in=token_types):
            token = by_key.get(entry.object_id)
            user = usernames.get(token.user_id, "?") if token else "?"
            entry.object_id = str(token.pk) if token else ""
            entry.object_repr = f"API of {user}"
            entry.content_type = api_token_type
            entry.save(update_fields=["object_id", "object_repr", "content_type"])
        token_types.delete()  # and their permissions
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE authtoken_token")
        cursor.execute("DELETE FROM django_migrations WHERE app = 'authtoken'")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0007_api_token"),
        ("admin", "0003_logentry_add_action_flag_choices"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(convert, migrations.RunPython.noop)]
