"""The PRC working-day calendar (工作日) that legal deadlines are counted in.

Sources, strongest first:
1. ``WorkdayOverride`` rows that administrators enter;
2. the chinesecalendar package (State Council holidays and make-up working days, 调休);
3. for a year that neither covers: Monday to Friday, and the answer is *provisional*.

Nothing here raises for an unknown year.
"""

import datetime
from dataclasses import dataclass
from functools import lru_cache

import chinese_calendar

from .models import WorkdayOverride


@dataclass(frozen=True)
class Deadline:
    date: datetime.date
    provisional: bool


@lru_cache(maxsize=64)
def package_knows(year: int) -> bool:
    """Whether the installed chinesecalendar carries the State Council arrangement for ``year``."""
    try:
        chinese_calendar.is_workday(datetime.date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


class Calendar:
    """Working-day answers for the years ``first_year``..``last_year``, with two queries in all."""

    def __init__(self, first_year: int, last_year: int):
        rows = WorkdayOverride.objects.filter(
            date__gte=datetime.date(first_year, 1, 1), date__lte=datetime.date(last_year, 12, 31)
        ).values_list("date", "is_working_day")
        self.first_year, self.last_year = first_year, last_year
        self.overrides = dict(rows)
        override_years = {d.year for d in self.overrides}
        self.known_years = {y for y in range(first_year, last_year + 1) if package_knows(y) or y in override_years}

    def covers(self, day: datetime.date) -> bool:
        return self.first_year <= day.year <= self.last_year

    def is_known(self, day: datetime.date) -> bool:
        return day.year in self.known_years

    def is_working_day(self, day: datetime.date) -> bool:
        if day in self.overrides:
            return self.overrides[day]
        if package_knows(day.year):
            return chinese_calendar.is_workday(day)
        return day.weekday() < 5


def is_working_day(day: datetime.date) -> bool:
    """Whether ``day`` is a working day (overrides, then the package, then Monday–Friday)."""
    return Calendar(day.year, day.year).is_working_day(day)


def working_day_deadline(start: datetime.date, days: int, *, calendar: Calendar | None = None) -> Deadline:
    """The ``days``-th working day after ``start`` (``start`` itself does not count).

    ``provisional`` is true when a day counted lies in a year whose official arrangement
    the system does not know yet (no package data and no override rows for that year).
    Pass a ``calendar`` to reuse its overrides across many deadlines.
    """
    if days < 0:
        raise ValueError("days must not be negative")
    cal = calendar or Calendar(start.year, start.year + 1)
    day, counted, provisional = start, 0, False
    while counted < days:
        day += datetime.timedelta(days=1)
        if not cal.covers(day):
            cal = Calendar(day.year, day.year + 1)
        provisional = provisional or not cal.is_known(day)
        if cal.is_working_day(day):
            counted += 1
    return Deadline(date=day, provisional=provisional)


def add_working_days(start: datetime.date, days: int) -> datetime.date:
    """The ``days``-th working day after ``start``; see ``working_day_deadline``."""
    return working_day_deadline(start, days).date
