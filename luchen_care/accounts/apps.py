from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "luchen_care.accounts"
    label = "accounts"
    verbose_name = _("Accounts and roles")

    def ready(self):
        from luchen_care.portal.nav import nav_register  # noqa: PLC0415

        from . import receivers  # noqa: F401  (a password change revokes the account's tokens)

        nav_register(url_name="accounts_portal:colleagues", label=_("Colleagues"), order=90)
        nav_register(url_name="accounts_portal:account", label=_("My account"), order=95)
