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

        # The Excel import of registrations, a kind of the shared import flow (which knows no app), and
        # the county health bureau's import of the institutions that filed on paper, with their filing.
        from .imports import REGISTRATION_IMPORT
        from .onboarding import INSTITUTION_ONBOARDING_IMPORT

        register_import_kind(REGISTRATION_IMPORT)
        register_import_kind(INSTITUTION_ONBOARDING_IMPORT)

        # Who may change an institution also invites its people and starts their password resets.
        from luchen_care.accounts.permissions import institution_change_rule_register

        from .permissions import can_change_institution

        institution_change_rule_register(can_change_institution)

        # The workbenches: pushes and their deadlines, the inbox awaiting filing, a street's recent
        # registrations, portal sign-ups awaiting activation, institutions still to invite; this month's
        # new registrations by street. The portal's menu: the institution's own documents.
        from luchen_care.core.workbench import Audience, workbench_chart_register, workbench_register
        from luchen_care.portal.nav import nav_register

        from . import workbench

        for provider in (
            workbench.registration_push_entries,
            workbench.awaiting_filing_entries,
            workbench.street_registration_entries,
            workbench.pending_signups_entries,
            workbench.institutions_to_invite_entry,
            workbench.filing_review_entries,
        ):
            workbench_register(provider, audience=Audience.STAFF)
        workbench_chart_register(workbench.new_registrations_chart, audience=Audience.STAFF)
        nav_register(url_name="registry_portal:documents", label=_("Licences and certificates"), order=50)
        # The institution's filings (备案): its menu entry, and what awaits it on its workbench.
        nav_register(url_name="registry_portal:filings", label=_("Filing"), order=40)
        workbench_register(workbench.portal_filing_entries, audience=Audience.PORTAL)

        # The dated policies a county loads rows of (``manage.py policy load``).
        from luchen_care.core.policy import PolicyKind, register_policy_kind

        from .models import FilingDeadlinePolicy, GuidedFeePolicy, PushWindowPolicy
        from .services.policies import filing_deadline_policy_save, guided_fee_policy_save, push_window_policy_save

        register_policy_kind(
            PolicyKind(
                key="push_window", model=PushWindowPolicy, fields=("working_days",), save=push_window_policy_save
            )
        )
        register_policy_kind(
            PolicyKind(
                key="filing_deadlines",
                model=FilingDeadlinePolicy,
                fields=("receipt_working_days", "notice_working_days", "site_check_required"),
                save=filing_deadline_policy_save,
            )
        )
        register_policy_kind(
            PolicyKind(
                key="guided_fees",
                model=GuidedFeePolicy,
                fields=("full_day_min", "full_day_max", "half_day_min", "half_day_max"),
                save=guided_fee_policy_save,
            )
        )
