"""The vendored national division table, as the platform reads it."""

import csv
import shutil

from luchen_care.regions.division import DEFAULT_TABLE, read_table, table_changes, vendored_table


def test_the_table_holds_the_countrys_county_level_units_and_townships():
    table = vendored_table()
    assert len(table.areas) == 2978
    assert sum(len(rows) for rows in table.townships.values()) == 41352
    # Development zones and the like (xx71–xx79) have no health bureau of their own.
    assert sum(area.development_zone for area in table.areas.values()) == 124
    lucheng = table.area("330302")
    assert (lucheng.name, lucheng.city_name, lucheng.province_name) == ("鹿城区", "温州市", "浙江省")
    assert not lucheng.development_zone
    assert table.area("330371") is None or table.area("330371").development_zone
    assert table.area("999999") is None


def test_a_newer_table_is_compared_unit_by_unit(tmp_path):
    newer = tmp_path / "newer"
    shutil.copytree(DEFAULT_TABLE, newer)
    path = newer / "streets.csv"
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    fieldnames = list(rows[0])
    for row in rows:
        if row["code"] == "330302006":
            row["name"] = "五马新街道"  # renamed
    rows = [row for row in rows if row["code"] != "330302105"]  # 山福镇 retired
    added = {"code": "330302200", "name": "试验街道", "areaCode": "330302", "provinceCode": "33", "cityCode": "3303"}
    rows.append(added)
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fieldnames)
        writer.writeheader()
        writer.writerows(rows)

    changes = table_changes(vendored_table(), read_table(newer), area_code="330302")

    assert changes.added == [("330302200", "试验街道")]
    assert changes.renamed == [("330302006", "五马街道", "五马新街道")]
    assert changes.retired == [("330302105", "山福镇")]
    assert table_changes(vendored_table(), read_table(newer), area_code="330303").added == []
