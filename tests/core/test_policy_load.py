"""``manage.py policy load``: a county's own policy rows from a file, all or nothing, attributed to
the user named; ``policy show`` tells which row a county follows on a day."""

import datetime
import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from luchen_care.accounts.models import Role
from luchen_care.regions.models import County
from registry.models import PushWindowPolicy
from registry.selectors.policies import push_window_on
from registry.services.streets import county_streets_load
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ROWS = {"push_window": [{"effective_from": "2026-01-01", "working_days": 7, "legal_source": "龙湾区示例文件第3条"}]}


@pytest.fixture
def longwan(db):
    county_streets_load(code="330303")
    return County.objects.get(code="330303")


@pytest.fixture
def longwan_bureau(longwan):
    return UserFactory(username="longwan", role=Role.HEALTH_BUREAU, county=longwan)


def run(*args):
    out = StringIO()
    call_command("policy", *args, stdout=out)
    return out.getvalue()


def write(tmp_path, document):
    path = tmp_path / "rows.json"
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return str(path)


def test_a_countys_rows_are_loaded_once_attributed_and_win_over_the_default_from_their_day(
    tmp_path, longwan, longwan_bureau
):
    path = write(tmp_path, ROWS)
    assert "龙湾区，push_window：新增1条，已有0条" in run("load", "330303", path, "--user", "longwan")
    assert "新增0条，已有1条" in run("load", "330303", path, "--user", "longwan")

    row = PushWindowPolicy.objects.get(county=longwan)
    assert (row.working_days, row.created_by, row.history.get().history_user) == (7, longwan_bureau, longwan_bureau)
    assert push_window_on(datetime.date(2026, 3, 2), longwan.pk) == row
    assert push_window_on(datetime.date(2025, 12, 31), longwan.pk).county is None  # the default before its day
    lucheng = County.objects.get(code="330302")
    assert push_window_on(datetime.date(2026, 3, 2), lucheng.pk).county is None  # 鹿城 follows the default
    assert "working_days=7，自 2026-01-01 起施行（本县（区）自有" in run("show", "330303", "--on", "2026-03-02")
    assert "（默认；" in run("show", "330302", "--on", "2026-03-02")


def test_a_file_with_bad_rows_saves_nothing_and_names_every_problem(tmp_path, longwan_bureau):
    document = {
        "push_window": [
            ROWS["push_window"][0],
            {"effective_from": "2026-13-01", "working_days": 5, "legal_source": "x"},
            {"effective_from": "2026-06-01", "working_days": 0, "legal_source": "x"},
            {"effective_from": "2026-07-01", "legal_source": "x", "days": 5},
            {"effective_from": 20260801, "working_days": 5, "legal_source": "x"},  # a number, not a date
        ],
        "subsidy_caps": [],
    }
    with pytest.raises(CommandError) as refused:
        run("load", "330303", write(tmp_path, document), "--user", "longwan")
    message = str(refused.value)
    assert "6" in message.splitlines()[0]  # six: row 4 has an unknown field and lacks one
    wheres = ("push_window[2].effective_from", "push_window[3].working_days", "push_window[4]", "push_window[5]")
    for where in (*wheres, "subsidy_caps"):
        assert where in message
    assert not PushWindowPolicy.objects.filter(county__code="330303").exists()


def test_one_county_cannot_load_anothers_rows_nor_a_bureau_the_defaults(tmp_path, longwan, health_user):
    path = write(tmp_path, ROWS)
    with pytest.raises(CommandError, match="只能|only"):
        run("load", "330303", path, "--user", health_user.username)
    with pytest.raises(CommandError, match="超级管理员|superuser"):
        run("load", "default", path, "--user", health_user.username)
    assert PushWindowPolicy.objects.filter(county__isnull=False).count() == 0
