from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExchangeConfig(AppConfig):
    name = "luchen_care.exchange"
    label = "exchange"
    verbose_name = _("Data exchange")

    def ready(self):
        from luchen_care.core.workbench import Audience, workbench_register

        from . import checks  # noqa: F401  (registers the configuration checks)
        from .workbench import failed_delivery_entries

        # The staff workbench's count of failed deliveries (for whoever re-queues them).
        workbench_register(failed_delivery_entries, audience=Audience.STAFF)
