"""Seed the filing deadline rule every county follows until it enters its own.

托育机构登记和备案办法（试行）（国卫人口发〔2019〕25号）第九条: the health bureau issues the filing
receipt and the notice of basic conditions within 5 working days of receiving the filing, and tells
an institution whose filing does not comply why within 15 working days. No on-site check before
the decision (a licensing regime under the draft 托育服务法 would switch it on by a new row).
"""

import datetime

from django.db import migrations


def seed(apps, schema_editor):
    FilingDeadlinePolicy = apps.get_model("registry", "FilingDeadlinePolicy")
    FilingDeadlinePolicy.objects.get_or_create(
        county=None,
        effective_from=datetime.date(2019, 10, 8),
        defaults={
            "receipt_working_days": 5,
            "notice_working_days": 15,
            "site_check_required": False,
            "legal_source": "托育机构登记和备案办法（试行）（国卫人口发〔2019〕25号）第九条",
            "note": "收到备案材料后5个工作日内出具备案回执和基本条件告知书；不符合要求的，15个工作日内告知理由。",
        },
    )


class Migration(migrations.Migration):
    dependencies = [("registry", "0021_filings")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
