"""The portal's menu, filled by the apps: each registers its entries from ``AppConfig.ready()``,
so the shell names no domain app's page."""

from dataclasses import dataclass

from django.urls import reverse

from .access import in_portal


@dataclass(frozen=True)
class NavEntry:
    url_name: str
    label: object  # a lazy translation
    order: int = 100


_entries: dict[str, NavEntry] = {}


def nav_register(*, url_name, label, order=100):
    """Add an entry to the portal's menu (registering the same URL name again replaces it)."""
    _entries[url_name] = NavEntry(url_name=url_name, label=label, order=order)


def nav_entries():
    return sorted(_entries.values(), key=lambda entry: (entry.order, entry.url_name))


def portal_nav(request):
    """Context processor: ``portal_nav`` for portal pages' menu, ``current`` on the page shown."""
    if not request.path.startswith("/portal/") or not in_portal(request.user):
        return {}
    items = []
    for entry in nav_entries():
        url = reverse(entry.url_name)
        current = request.path == url if url.rstrip("/") == "/portal" else request.path.startswith(url)
        items.append({"url": url, "label": entry.label, "current": current})
    return {"portal_nav": items}
