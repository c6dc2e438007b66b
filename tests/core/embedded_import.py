"""Run in a subprocess on a fresh SQLite file with tasks in-process (the ``make run`` default):
migrate, then import a workbook above the background threshold through the admin's import page.
Prints one JSON line: what the user saw and what was recorded."""

import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "luchen_care.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402

from luchen_care.accounts.models import Authority, Role, User  # noqa: E402
from luchen_care.core.models import ImportJob  # noqa: E402
from luchen_care.regions.models import County  # noqa: E402
from registry.models import Registration  # noqa: E402
from tests.registry.factories import registration_rows, registration_workbook  # noqa: E402

call_command("migrate", verbosity=0, interactive=False)
call_command("region", "add", "330302", verbosity=0)  # the county and its streets, as a deployment adds them
user = User.objects.create_user(
    username="laptop", password="x", is_staff=True, role=Role.REGISTRATION_AUTHORITY,
    authority=Authority.MARKET_REGULATION, county=County.objects.get(code="330302"),
)  # fmt: skip
rows = int(sys.argv[1])
filled = registration_rows(rows, number_prefix="SQLITE-", name_prefix="鹿城区笔记本托育中心", check_letter="A")
upload = registration_workbook(filled, name="laptop.xlsx")

client = Client(HTTP_HOST="127.0.0.1")
client.force_login(user)
response = client.post("/admin/registry/registration/import/", {"file": upload})
job = ImportJob.objects.get()
status = client.get(f"/imports/{job.pk}/status/").json()
print(
    json.dumps(
        {
            "engine": settings.DATABASES["default"]["ENGINE"],
            "eager": settings.CELERY_TASK_ALWAYS_EAGER,
            "status_code": response.status_code,
            "location": response.get("Location", ""),
            "job": str(job.pk),
            "background": job.background,
            "status": status,
            "registrations": Registration.objects.count(),
        }
    )
)
