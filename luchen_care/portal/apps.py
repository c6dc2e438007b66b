from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    """The institution portal's shell (/portal/): its frame, its sign-in and the rule of who enters.

    It knows no domain app: each app's portal pages (filing, staff, uploads…) live in that app and
    extend ``portal/base.html``; they let a person in with ``portal.access.institution_required``.
    """

    name = "luchen_care.portal"
    label = "portal"
    verbose_name = _("Institution portal")

    def ready(self):
        from .nav import nav_register  # noqa: PLC0415

        nav_register(url_name="portal:home", label=_("Workbench"), order=0)
