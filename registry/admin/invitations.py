"""The institution list's filter of the institutions still to invite to the portal (the staff workbench's
entry opens it)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from ..selectors.invitations import institutions_to_invite
from ..workbench import TO_INVITE


class PortalAccountFilter(admin.SimpleListFilter):
    title = _("portal account")
    parameter_name = "portal"

    def lookups(self, request, model_admin):
        return [(TO_INVITE, _("To invite: no account, no invitation waiting"))]

    def queryset(self, request, queryset):
        if self.value() == TO_INVITE:
            return queryset.filter(pk__in=institutions_to_invite(user=request.user).values("pk"))
        return queryset
