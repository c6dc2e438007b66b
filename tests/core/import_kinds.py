"""An import kind for the generic flow's tests: working-day overrides, a model of the project
package, so the flow is tested without a domain app. The Celery worker the async tests start
imports this module (``--include``), as an app's ``AppConfig.ready()`` would register its kind.
"""

from django import forms
from django.core.exceptions import ValidationError

from luchen_care.core.imports import Column, ImportKind, ImportRowError, register_import_kind

NAME = "tests.workday_override"
CHOICES = [("yes", "上班"), ("no", "放假")]


class OverrideRowForm(forms.Form):
    """The input declaration of one override row; ``lookups`` is the set of dates already overridden."""

    date = forms.DateField()
    working = forms.ChoiceField(choices=CHOICES)
    reason = forms.CharField(max_length=200)

    def __init__(self, *args, actor=None, lookups=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor, self.lookups = actor, lookups

    def clean_date(self):
        date = self.cleaned_data["date"]
        known = self.lookups if self.lookups is not None else set()
        if date in known:
            raise ValidationError("这一天已经有调整记录。")
        return date


def prefetch(*, actor, rows):
    from luchen_care.workdays.models import WorkdayOverride  # noqa: PLC0415

    return set(WorkdayOverride.objects.values_list("date", flat=True))


def apply(*, actor, rows, lookups, progress):
    from luchen_care.workdays.models import WorkdayOverride  # noqa: PLC0415
    from luchen_care.workdays.services import workday_override_save  # noqa: PLC0415

    for done, (number, data) in enumerate(rows, start=1):
        if data["reason"] == "refuse-on-apply":
            raise ImportRowError(number, ValidationError({"reason": ["记录时被拒绝。"]}))
        workday_override_save(
            override=WorkdayOverride(date=data["date"], is_working_day=data["working"] == "yes", reason=data["reason"]),
            actor=actor,
        )
        progress(done)
    return {"created": len(rows)}


def may_import(user):
    return bool(user and user.is_authenticated and user.is_staff)


KIND = register_import_kind(
    ImportKind(
        name=NAME,
        label="工作日调整",
        form=OverrideRowForm,
        columns=[
            Column("date", "日期", 14, "如 2026-10-08", example="2026-10-08", kind="date"),
            Column("working", "上班或放假", 10, "从下拉列表选择", example="放假", choices=CHOICES),
            Column("reason", "原因", 30, "如：台风停工", example="台风停工"),
        ],
        apply=apply,
        may_import=may_import,
        prefetch=prefetch,
        row_key=lambda data: data["date"],
        key_field="date",
        sheet="调整数据",
        template_name="overrides",
        max_rows=50,
        summary_message=lambda report: f"导入 {report['created']} 条",
    )
)
