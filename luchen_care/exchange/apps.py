from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExchangeConfig(AppConfig):
    name = "luchen_care.exchange"
    label = "exchange"
    verbose_name = _("Data exchange")

    def ready(self):
        from . import checks  # noqa: F401  (registers the configuration checks)
        from .workbench import register  # noqa: PLC0415

        register()
