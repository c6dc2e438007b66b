"""What the group chat is told: free text from a registration never becomes markdown there."""

import datetime

import pytest

from luchen_care.regions.models import County
from registry.models import DigestRun
from registry.payloads import digest_markdown, registration_markdown
from tests.registry.factories import RegistrationFactory

pytestmark = pytest.mark.django_db

NAME = "小星星托育[点我领补贴](http://evil.example)**急**\n#### 假通知"


def test_a_name_cannot_become_a_link_a_heading_or_bold_in_the_dingtalk_text():
    registration = RegistrationFactory(institution_name=NAME, registration_number="NO-`1`|<b>")

    title, text = registration_markdown(registration)

    for markup in ("[", "]", "**", "`", "<b>", "|"):
        assert markup not in text, markup
    assert text.count("####") == 1  # the notice's own heading only
    # A person still reads the name and the number as they were registered.
    assert "小星星托育［点我领补贴］(http://evil.example)＊＊急＊＊ ＃＃＃＃ 假通知" in text
    assert "NO-｀1｀｜＜b＞" in text
    assert "[" not in title and "\n" not in title


def test_the_digest_lists_names_as_text_too():
    registration = RegistrationFactory(institution_name=NAME)
    run = DigestRun(date=datetime.date(2026, 12, 2), county=County.objects.get(code="330302"))

    title, text = digest_markdown(run, [registration])

    assert title == "鹿城区逾期未推送登记日报 2026-12-02"  # the county's own digest
    assert "[" not in text and "［点我领补贴］" in text
    assert text.count("####") == 1
