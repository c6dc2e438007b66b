"""Who works in the Django admin, decided once for every app's ModelAdmin.

What each role may see or change inside the admin is decided by the app that owns the
record (``registry.permissions``) and by the one scope rule (``luchen_care.core.scope``, which
every model's ``visible_to`` applies); these two only say
who reaches the admin at all and who administers district-wide settings.
"""

from .models import STAFF_ROLES


def works_in_admin(user) -> bool:
    """Bureau staff, registration authorities and street offices (and superusers)."""
    return user.is_active and user.is_staff and (user.is_superuser or user.role in STAFF_ROLES)


def administers_district(user) -> bool:
    """The health bureau and superusers: they edit district-wide data (calendar, populations, pushes)."""
    return works_in_admin(user) and user.sees_everything
