from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    name = "registry"
    verbose_name = _("Institution registry")

    def ready(self):
        # Subscriptions to the cross-cutting apps, which know nothing of the registry:
        # the working-day calendar's changes, and the outbox's delivery results.
        from . import receivers  # noqa: F401
