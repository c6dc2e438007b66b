from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "luchen_care.core"
    label = "core"
    verbose_name = _("Core")
    default = True

    def ready(self):
        from . import checks  # noqa: F401  (registers the system checks)


class PlatformAdminConfig(admin_apps.AdminConfig):
    """Django's admin, whose default site is the platform's (its index is the staff workbench)."""

    default = False
    default_site = "luchen_care.core.sites.WorkbenchAdminSite"
