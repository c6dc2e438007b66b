"""``manage.py region``: a county and its streets from the national division table."""

import shutil
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from luchen_care.regions.division import DEFAULT_TABLE, vendored_table
from luchen_care.regions.models import County
from registry.models import Street

pytestmark = pytest.mark.django_db

# ../shared/docs/domain.md: Lucheng's 12 streets and 2 towns (NBS codes, 2023).
LUCHENG = {
    "330302006": "五马街道", "330302023": "七都街道", "330302024": "滨江街道", "330302025": "南汇街道",
    "330302026": "松台街道", "330302027": "双屿街道", "330302028": "仰义街道", "330302029": "大南街道",
    "330302030": "蒲鞋市街道", "330302031": "南郊街道", "330302032": "广化街道", "330302033": "丰门街道",
    "330302102": "藤桥镇", "330302105": "山福镇",
}  # fmt: skip


def region(*args):
    out = StringIO()
    call_command("region", *args, stdout=out)
    return out.getvalue()


def test_the_migrated_streets_are_lucheng_s_and_belong_to_its_county():
    assert dict(Street.objects.values_list("code", "name")) == LUCHENG
    assert set(Street.objects.values_list("county__code", "county__name", "county__city_name")) == {
        ("330302", "鹿城区", "温州市")
    }


def test_region_add_on_an_empty_registry_gives_exactly_lucheng_s_fourteen_streets():
    Street.objects.all().delete()
    County.objects.all().delete()

    printed = region("add", "330302")

    assert dict(Street.objects.values_list("code", "name")) == LUCHENG
    kinds = dict(Street.objects.values_list("code", "kind"))
    assert kinds["330302102"] == kinds["330302105"] == Street.Kind.TOWN
    assert {kinds[code] for code in LUCHENG if code[6] == "0"} == {Street.Kind.STREET}
    assert "330302 浙江省温州市鹿城区：新增区县，新增街道14个，已有0个" in printed


def test_a_second_county_is_added_and_a_second_run_changes_nothing():
    printed = region("add", "330303")
    assert "330303 浙江省温州市龙湾区：新增区县，新增街道10个，已有0个" in printed
    longwan = County.objects.get(code="330303")
    assert longwan.streets.count() == 10 and longwan.streets.filter(name="永中街道").exists()
    before = list(Street.objects.order_by("code").values("code", "name", "kind", "county__code"))

    again = region("add", "330303", "330302")

    assert list(Street.objects.order_by("code").values("code", "name", "kind", "county__code")) == before
    assert "330303 浙江省温州市龙湾区：区县已有，新增街道0个，已有10个" in again
    assert "330302 浙江省温州市鹿城区：区县已有，新增街道0个，已有14个" in again
    assert County.objects.count() == 2


def test_an_unknown_code_is_refused_and_changes_nothing():
    with translation.override("en"), pytest.raises(CommandError) as refused:  # the shell's locale does not matter
        region("add", "999999")
    assert "999999 不是全国行政区划表中的县级区划代码。" in str(refused.value)  # commands speak the site's language
    assert County.objects.count() == 1 and Street.objects.count() == 14


def test_a_development_zone_is_not_offered_as_a_county():
    zone = next(area for area in vendored_table().areas.values() if area.development_zone)
    with pytest.raises(CommandError) as refused:
        region("add", zone.code)
    assert f"{zone.code} {zone.name} 是开发区等统计单位" in str(refused.value)
    assert not County.objects.filter(code=zone.code).exists()


def test_region_diff_prints_what_a_newer_table_changes_for_the_counties_served(tmp_path):
    newer = tmp_path / "newer"
    shutil.copytree(DEFAULT_TABLE, newer)
    streets = newer / "streets.csv"
    streets.write_text(streets.read_text(encoding="utf-8").replace('"山福镇"', '"山福街道"'), encoding="utf-8")

    printed = region("diff", str(newer))

    assert "330302:" in printed and "更名 330302105 山福镇 → 山福街道" in printed
    assert Street.objects.get(code="330302105").name == "山福镇"  # nothing applied


def _planner_rows(table):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = %s", [table])
        return cursor.fetchone()[0]


def test_a_county_s_streets_get_the_planner_s_statistics_once_loaded(django_capture_on_commit_callbacks):
    # Too few rows for autovacuum ever to analyze: the load does it, or every scoped query plans blind.
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        region("add", "330303")

    assert callbacks, "the load refreshes the statistics once it commits"
    assert _planner_rows(Street._meta.db_table) == Street.objects.count() == 24
    assert _planner_rows(County._meta.db_table) == County.objects.count() == 2
