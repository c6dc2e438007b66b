"""Seed the push window (plan task 20: five working days) and name it on every registration.

Two rows, both of five working days:
- from 2021-02-01, 温鹿政办〔2020〕64号 任务20: the district plan that sets the five working days;
- from 2019-01-01, 托育机构登记和备案办法（试行）: registrations are accepted from 2019-01-01
  (``registry.forms.registrations.EARLIEST_REGISTERED_ON``), and one dated before the district plan
  is counted with the same five working days it has always been counted with here. The row
  names the national measures under which registration and filing began; its note says the
  figure is carried back from the district plan.

Each existing registration (and its history rows) gets the row in force on its
``registered_on``; a registration dated before 2019-01-01 (entered before the earliest date
was enforced) gets the first row, which counted its deadline in fact. No deadline changes.
"""

import datetime

from django.db import migrations
from django.utils import timezone

SEEDS = [
    {
        "effective_from": datetime.date(2019, 1, 1),
        "working_days": 5,
        "legal_source": "托育机构登记和备案办法（试行）",
        "note": (
            "登记和备案自2019年起施行；区级五个工作日推送期限（温鹿政办〔2020〕64号 任务20）施行前的登记，"
            "按平台一贯做法同样以五个工作日计算。"
        ),
    },
    {
        "effective_from": datetime.date(2021, 2, 1),
        "working_days": 5,
        "legal_source": "温鹿政办〔2020〕64号 任务20",
        "note": (
            "登记机关应当于五个工作日内将登记信息通过共享、交换（如钉钉）等方式推送至区卫生健康局。"
            "本方案自2021年2月1日起施行，有效期10年。"
        ),
    },
]


def seed(apps, schema_editor):
    Policy = apps.get_model("registry", "PushWindowPolicy")
    History = apps.get_model("registry", "HistoricalPushWindowPolicy")
    Registration = apps.get_model("registry", "Registration")
    HistoricalRegistration = apps.get_model("registry", "HistoricalRegistration")
    now = timezone.now()
    rows = []
    for values in SEEDS:
        row, created = Policy.objects.get_or_create(effective_from=values["effective_from"], defaults=values)
        if created:
            History.objects.create(
                id=row.pk,
                created_at=row.created_at,
                effective_from=row.effective_from,
                legal_source=row.legal_source,
                note=row.note,
                working_days=row.working_days,
                history_date=now,
                history_type="+",
                history_change_reason="seeded (migration 0012)",
            )
        rows.append(row)
    rows.sort(key=lambda r: r.effective_from)
    for index, row in enumerate(rows):
        registrations = Registration.objects.filter(push_rule__isnull=True)
        history = HistoricalRegistration.objects.filter(push_rule__isnull=True)
        if index + 1 < len(rows):
            registrations = registrations.filter(registered_on__lt=rows[index + 1].effective_from)
            history = history.filter(registered_on__lt=rows[index + 1].effective_from)
        registrations.update(push_rule=row)
        history.update(push_rule=row)


class Migration(migrations.Migration):
    dependencies = [("registry", "0011_pushwindowpolicy")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
