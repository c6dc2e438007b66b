"""A small limit on verification look-ups per address, against guessing codes (the cache counts them).

Codes have 80 random bits, so guessing is hopeless anyway; the limit keeps the page from being
used as an oracle at machine speed and keeps its load small. A person checking a pile of
documents stays far below it.
"""

from django.conf import settings
from django.core.cache import cache

from luchen_care.accounts.lockout import client_address


def verification_allowed(request) -> bool:
    """Count this look-up for the request's address; ``False`` once the address is over its limit."""
    limit, window = settings.DOCUMENTS_VERIFY_RATE
    key = f"documents:verify:{client_address(request)}"
    cache.add(key, 0, timeout=window)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window)
        count = 1
    return count <= limit


def verification_window_minutes() -> int:
    return max(1, settings.DOCUMENTS_VERIFY_RATE[1] // 60)
