"""The workbenches' to-do lists, filled by the apps.

Each app registers its providers from ``AppConfig.ready()`` with ``workbench_register``; the
workbenches (the admin index for staff, the portal's home for institutions) call
``workbench_entries`` and import no domain app. A provider takes the user and returns its
entries: each a count and the link to the filtered list behind it, counted through the same
selector the list uses, so the two always agree. A provider asks a fixed number of queries,
whatever the data (one ``COUNT`` per entry, say), and returns no entry for a user it has nothing for.

A chart provider (``workbench_chart_register``) is the same for what people would rather look at
than read: ``provider(user) -> list[Chart]``, each bar a count and the list behind it, drawn
below the entries as plain HTML bars (no script).
"""

from dataclasses import dataclass
from enum import StrEnum


class Audience(StrEnum):
    STAFF = "staff"  # the admin index: bureaus, registration authorities, street offices
    PORTAL = "portal"  # the portal's home: an institution's people


@dataclass(frozen=True)
class Entry:
    """One line of a workbench: ``count`` things to do, and the list behind them at ``url``."""

    key: str  # stable, for tests and anchors: "<app>.<what>"
    label: str
    count: int
    url: str
    urgent: bool = False  # overdue, or due today: shown in red
    help: str = ""
    order: int = 100


@dataclass(frozen=True)
class Bar:
    """One bar of a chart: ``count`` rows of the list at ``url``."""

    label: str
    count: int
    url: str


@dataclass(frozen=True)
class Chart:
    """A small bar chart on a workbench, its bars in the provider's order."""

    key: str  # stable, for tests and anchors: "<app>.<what>"
    title: str
    bars: tuple[Bar, ...]
    order: int = 100

    @property
    def largest(self):
        return max((bar.count for bar in self.bars), default=0)


_providers: dict[Audience, list] = {audience: [] for audience in Audience}
_chart_providers: dict[Audience, list] = {audience: [] for audience in Audience}


def workbench_register(provider, *, audience):
    """Add ``provider(user) -> list[Entry]`` to the workbench of ``audience`` (once per provider)."""
    providers = _providers[Audience(audience)]
    if provider not in providers:
        providers.append(provider)
    return provider


def workbench_entries(user, *, audience) -> list[Entry]:
    """Every registered provider's entries for ``user``, most urgent first, then in their order."""
    entries = [entry for provider in _providers[Audience(audience)] for entry in provider(user)]
    return sorted(entries, key=lambda entry: (not entry.urgent, entry.order, entry.key))


def workbench_chart_register(provider, *, audience):
    """Add ``provider(user) -> list[Chart]`` to the workbench of ``audience`` (once per provider)."""
    providers = _chart_providers[Audience(audience)]
    if provider not in providers:
        providers.append(provider)
    return provider


def workbench_charts(user, *, audience) -> list[Chart]:
    """Every registered chart provider's charts for ``user``, in their order; charts without bars are left out."""
    charts = [chart for provider in _chart_providers[Audience(audience)] for chart in provider(user)]
    return sorted((chart for chart in charts if chart.bars), key=lambda chart: (chart.order, chart.key))
