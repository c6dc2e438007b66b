"""The national division table (中华人民共和国行政区划), read from the vendored CSV files.

``data/china-division-2.7.0/`` holds the data set as vendored (its ``PROVENANCE.md`` gives the
version, licences, checksums and vintage). Nothing is fetched at run time: a newer vintage is a
directory of CSV files in the same columns, compared with this one by ``manage.py region diff``.

Codes are the NBS statistical division codes: 2 digits a province, 4 a city, 6 a county-level
unit (区/县/县级市), 9 a township (街道/镇/乡). County-level codes xx71–xx79 are development
zones and similar statistical units with no health bureau of their own: ``Area.development_zone``.
"""

import csv
import dataclasses
import functools
from pathlib import Path

DEFAULT_TABLE = Path(__file__).resolve().parent / "data" / "china-division-2.7.0"


@dataclasses.dataclass(frozen=True)
class Area:
    """A county-level unit and the city and province it belongs to."""

    code: str
    name: str
    city_code: str
    city_name: str
    province_code: str
    province_name: str

    @property
    def development_zone(self) -> bool:
        return self.code[4] == "7"


@dataclasses.dataclass(frozen=True)
class Township:
    """A township-level unit: a street (街道), a town (镇) or a township (乡)."""

    code: str
    name: str
    area_code: str


@dataclasses.dataclass(frozen=True)
class DivisionTable:
    areas: dict  # code → Area
    townships: dict  # area code → [Township], in code order

    def area(self, code) -> Area | None:
        return self.areas.get(str(code).strip())

    def townships_of(self, area_code) -> list[Township]:
        return self.townships.get(str(area_code).strip(), [])


def _rows(directory: Path, name: str):
    with open(directory / name, encoding="utf-8", newline="") as f:
        yield from csv.DictReader(f)


def read_table(directory: Path) -> DivisionTable:
    """The table in ``directory`` (``provinces.csv``, ``cities.csv``, ``areas.csv``, ``streets.csv``)."""
    directory = Path(directory)
    provinces = {row["code"]: row["name"] for row in _rows(directory, "provinces.csv")}
    cities = {row["code"]: row["name"] for row in _rows(directory, "cities.csv")}
    areas = {
        row["code"]: Area(
            code=row["code"],
            name=row["name"],
            city_code=row["cityCode"],
            city_name=cities.get(row["cityCode"], ""),
            province_code=row["provinceCode"],
            province_name=provinces.get(row["provinceCode"], ""),
        )
        for row in _rows(directory, "areas.csv")
    }
    townships = {}
    for row in _rows(directory, "streets.csv"):
        townships.setdefault(row["areaCode"], []).append(
            Township(code=row["code"], name=row["name"], area_code=row["areaCode"])
        )
    for rows in townships.values():
        rows.sort(key=lambda township: township.code)
    return DivisionTable(areas=areas, townships=townships)


@functools.cache
def vendored_table() -> DivisionTable:
    """The vendored table, read once per process."""
    return read_table(DEFAULT_TABLE)


@dataclasses.dataclass
class TableChanges:
    """What a newer table changes against an older one, for county-level units and townships."""

    added: list = dataclasses.field(default_factory=list)  # (code, new name)
    renamed: list = dataclasses.field(default_factory=list)  # (code, old name, new name)
    retired: list = dataclasses.field(default_factory=list)  # (code, old name)


def table_changes(old: DivisionTable, new: DivisionTable, *, area_code=None) -> TableChanges:
    """The differences between ``old`` and ``new`` (only within ``area_code``, if given)."""

    def units(table):
        found = {code: area.name for code, area in table.areas.items() if area_code in (None, code)}
        for code, rows in table.townships.items():
            if area_code in (None, code):
                found.update({township.code: township.name for township in rows})
        return found

    before, after = units(old), units(new)
    changes = TableChanges()
    for code in sorted(before.keys() | after.keys()):
        if code not in before:
            changes.added.append((code, after[code]))
        elif code not in after:
            changes.retired.append((code, before[code]))
        elif before[code] != after[code]:
            changes.renamed.append((code, before[code], after[code]))
    return changes
