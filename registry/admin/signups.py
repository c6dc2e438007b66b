"""Institutions' portal sign-ups in the admin: the bureau reads them and activates or rejects the pending ones.

The list is ``visible_to`` (``portal_signup_list``); nobody adds, edits or deletes a sign-up here.
The two actions ask for a comment (required to reject), then call the services, which check
again that the actor may decide on each selected sign-up.
"""

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.template.response import TemplateResponse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from luchen_care.accounts.permissions import works_in_admin
from luchen_care.audit.admin import LogsPersonalDataPages
from luchen_care.core.admin import BureauReadOnlyAdmin, ScopedHistoryAdmin

from ..forms.signups import SignupDecisionForm
from ..models import PortalSignup
from ..permissions import can_change_institution
from ..selectors.signups import portal_signup_list
from ..services import signups as signup_services


class _Refused(Exception):
    """Rolls back a decision in which some sign-up was refused."""


def decision_action(name, description):
    """The admin action of the step ``name`` (activate, reject) for those who decide on sign-ups."""

    @admin.action(description=description, permissions=["decide"])
    def action(self, request, queryset):
        return self.decide(request, queryset, name)

    action.__name__ = action.__qualname__ = name
    return action


@admin.register(PortalSignup)
class PortalSignupAdmin(LogsPersonalDataPages, BureauReadOnlyAdmin, ScopedHistoryAdmin):
    """The sign-ups of the institutions a bureau sees; the health bureau (its county's) and the education
    bureau (nursery classes) activate or reject the pending ones; the city commission reads."""

    list_display = ["institution", "username", "state", "code_sent", "created_at", "decided_at", "decided_by"]
    list_filter = ["state"]
    list_select_related = ["institution", "account", "decided_by"]
    search_fields = ["institution__name", "institution__credit_code", "account__username"]
    fields = [
        "institution",
        "registration",
        "username",
        "phone_typed",
        "code_sent_to",
        "state",
        "code_expires_at",
        "code_attempts",
        "client_address",
        "created_at",
        "step",
        "decided_at",
        "decided_by",
        "comment",
    ]
    readonly_fields = fields
    actions = ["activate", "reject"]
    history_list_display = ["state", "code_attempts"]

    def get_queryset(self, request):
        return portal_signup_list(user=request.user)

    def personal_data_county(self, obj):
        # The phone given and the phone the code went to are on the change, history and version pages.
        return obj.institution.street.county_id

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    @admin.display(description=gettext_lazy("username"), ordering="account__username")
    def username(self, obj):
        return obj.account.username

    @admin.display(description=gettext_lazy("code sent"), boolean=True)
    def code_sent(self, obj):
        return bool(obj.code_sent_to)

    def has_decide_permission(self, request):
        return works_in_admin(request.user) and can_change_institution(request.user)

    activate = decision_action("activate", gettext_lazy("Activate the selected sign-ups"))
    reject = decision_action("reject", gettext_lazy("Reject the selected sign-ups"))

    def decide(self, request, queryset, name):
        """Activate or reject the selected sign-ups, after a page asking for a comment: all of them, or
        none (the message names each one refused and why)."""
        service = getattr(signup_services, f"portal_signup_{name}")
        step = signup_services.SIGNUP_TRANSITIONS[name]
        selected = list(queryset.select_related("registration", "institution").order_by("pk"))
        if not selected:
            self.message_user(request, _("None of the selected sign-ups is visible to you."), messages.WARNING)
            return None
        form = SignupDecisionForm(request.POST if "apply" in request.POST else None, require_comment=name == "reject")
        if form.is_bound and form.is_valid():
            refused = []
            try:
                with transaction.atomic():
                    for signup in selected:
                        try:
                            service(signup=signup, actor=request.user, comment=form.cleaned_data["comment"])
                        except (ValidationError, PermissionDenied) as exc:
                            text = "; ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
                            refused.append(format_html("{}: {}", signup, text))
                    if refused:
                        raise _Refused
            except _Refused:
                self.message_user(
                    request,
                    format_html(
                        "{} {}", _("Nothing was changed:"), format_html_join("; ", "{}", ((r,) for r in refused))
                    ),
                    messages.ERROR,
                )
                return None
            self.message_user(
                request,
                _("%(step)s: %(count)d sign-up(s).") % {"step": step.label, "count": len(selected)},
                messages.SUCCESS,
            )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": step.label,
            "opts": self.opts,
            "form": form,
            "signups": selected,
            # The officer verifies by phoning the number the platform holds, never the one given.
            "rows": [(signup, signup_services.phone_on_record(signup.registration)) for signup in selected],
            "action_name": name,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "media": self.media + form.media,
        }
        return TemplateResponse(request, "admin/registry/portalsignup/decide.html", context)
