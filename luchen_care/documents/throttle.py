"""A small limit on verification look-ups per address, against guessing codes (the cache counts them).

Codes have 80 random bits, so guessing is hopeless anyway; the limit keeps the page from being
used as an oracle at machine speed and keeps its load small. A person checking a pile of
documents stays far below it.
"""

from django.conf import settings

from luchen_care.accounts.lockout import address_throttled


def verification_allowed(request) -> bool:
    """Count this look-up for the request's address; ``False`` once the address is over its limit."""
    limit, window = settings.DOCUMENTS_VERIFY_RATE
    return not address_throttled(request, "documents.verify", limit, window)


def verification_window_minutes() -> int:
    return max(1, settings.DOCUMENTS_VERIFY_RATE[1] // 60)
