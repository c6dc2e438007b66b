"""One date format, YYYY-MM-DD, and times as YYYY-MM-DD HH:mm:ss in Asia/Shanghai, in both languages."""

import datetime

import pytest
from django.template import Context, Template
from django.utils import timezone, translation

RENDER = Template("{{ day }}|{{ moment }}|{{ day|date }}|{{ moment|date:'DATETIME_FORMAT' }}")


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_dates_and_times_read_the_same_in_both_languages(language):
    day = datetime.date(2026, 2, 13)
    moment = datetime.datetime(2026, 2, 13, 1, 2, 3, tzinfo=datetime.UTC)  # 09:02:03 in Asia/Shanghai
    with translation.override(language), timezone.override("Asia/Shanghai"):
        rendered = RENDER.render(Context({"day": day, "moment": moment}))
    assert rendered == "2026-02-13|2026-02-13 09:02:03|2026-02-13|2026-02-13 09:02:03"
