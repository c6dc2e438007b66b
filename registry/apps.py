from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    name = "registry"
    verbose_name = _("Institution registry")

    def ready(self):
        from django.db.models.signals import post_migrate

        from luchen_care.core.imports import register_import_kind

        # Subscriptions to the cross-cutting apps, which know nothing of the registry:
        # the working-day calendar's changes, and the outbox's delivery results.
        from . import receivers

        # The streets loaded by migrate (LUCHEN_CARE_COUNTIES) get the planner's statistics at once.
        post_migrate.connect(receivers.analyze_streets, sender=self, dispatch_uid="registry.analyze_streets")

        # The Excel import of registrations, a kind of the shared import flow (which knows no app).
        from .imports import REGISTRATION_IMPORT
        from .onboarding import INSTITUTION_ONBOARDING_IMPORT

        register_import_kind(REGISTRATION_IMPORT)
        # The county health bureau's import of the institutions that filed on paper, with their filing.
        register_import_kind(INSTITUTION_ONBOARDING_IMPORT)

        # The dated policies a county loads rows of (``manage.py policy load``).
        from luchen_care.core.policy import PolicyKind, register_policy_kind

        from .models import PushWindowPolicy
        from .services.policies import push_window_policy_save

        register_policy_kind(
            PolicyKind(
                key="push_window", model=PushWindowPolicy, fields=("working_days",), save=push_window_policy_save
            )
        )

        # The staff workbench: the portal sign-ups awaiting the bureau's activation.
        from luchen_care.core.workbench import Audience, workbench_register

        from .workbench import pending_signups_entries

        workbench_register(pending_signups_entries, audience=Audience.STAFF)
