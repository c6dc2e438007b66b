"""Run in a subprocess whose broker (REDIS_URL) refuses connections, on the test's PostgreSQL
database: upload a registration workbook above the background threshold through the admin's
import page. Prints one JSON line: what the user saw and what was recorded."""

import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "luchen_care.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.test import Client  # noqa: E402

from luchen_care.accounts.models import User  # noqa: E402
from luchen_care.core.models import ImportJob  # noqa: E402
from registry.models import Registration  # noqa: E402
from tests.registry.factories import registration_rows, registration_workbook  # noqa: E402

username, rows = sys.argv[1], int(sys.argv[2])
settings.IMPORT_BACKGROUND_ROWS = rows - 1
filled = registration_rows(rows, number_prefix="BROKER-", name_prefix="鹿城区断线托育中心", check_letter="B")
upload = registration_workbook(filled, name="broker.xlsx")

client = Client(HTTP_HOST="127.0.0.1")
client.force_login(User.objects.get(username=username))
response = client.post("/admin/registry/registration/import/", {"file": upload})
job = ImportJob.objects.get()
print(
    json.dumps(
        {
            "broker": settings.CELERY_BROKER_URL,
            "eager": settings.CELERY_TASK_ALWAYS_EAGER,
            "status_code": response.status_code,
            "location": response.get("Location", ""),
            "job": str(job.pk),
            "background": job.background,
            "status": client.get(f"/imports/{job.pk}/status/").json(),
            "page": client.get(f"/imports/{job.pk}/").content.decode(),
            "registrations": Registration.objects.count(),
        }
    )
)
