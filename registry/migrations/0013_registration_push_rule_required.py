# Every registration names the push window that counted its deadline (filled in 0012).

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("registry", "0012_seed_push_windows")]

    operations = [
        migrations.AlterField(
            model_name="registration",
            name="push_rule",
            field=models.ForeignKey(
                help_text="The push window in force on the day of registration, which counted this deadline.",
                on_delete=django.db.models.deletion.PROTECT,
                related_name="registrations",
                to="registry.pushwindowpolicy",
                verbose_name="push window rule",
            ),
        ),
    ]
