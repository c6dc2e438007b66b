"""System checks: every admin is built on the scoped bases (``luchen_care.core.admin``).

A new ModelAdmin that forgets them would reopen the holes they close (history pages of
out-of-scope records, reverts by read-only roles): the platform refuses to start instead.
"""

from django.contrib import admin
from django.core import checks
from simple_history.admin import SimpleHistoryAdmin


@checks.register(checks.Tags.admin)
def admins_are_scoped(app_configs=None, **kwargs):
    from .admin import ScopedAdmin, ScopedHistoryAdmin  # noqa: PLC0415  (admin is loaded late)

    errors = []
    for model, model_admin in admin.site._registry.items():
        name = f"{type(model_admin).__module__}.{type(model_admin).__qualname__}"
        if not isinstance(model_admin, ScopedAdmin):
            errors.append(
                checks.Error(
                    f"{name} (for {model._meta.label}) does not derive from luchen_care.core.admin.ScopedAdmin.",
                    hint="Build every ModelAdmin on ScopedAdmin or ScopedHistoryAdmin.",
                    obj=model_admin,
                    id="core.E001",
                )
            )
        elif isinstance(model_admin, SimpleHistoryAdmin) and not isinstance(model_admin, ScopedHistoryAdmin):
            errors.append(
                checks.Error(
                    f"{name} uses simple-history's admin without its scoping.",
                    hint="Derive from luchen_care.core.admin.ScopedHistoryAdmin instead of SimpleHistoryAdmin.",
                    obj=model_admin,
                    id="core.E002",
                )
            )
    return errors
