from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group
from django.utils.translation import gettext_lazy as _
from rest_framework.authtoken.admin import TokenAdmin
from rest_framework.authtoken.models import TokenProxy

from luchen_care.core.admin import ScopedAdmin

from .models import User

# Roles, not groups, decide what a user may do: the groups page would only mislead.
admin.site.unregister(Group)


@admin.register(User)
class UserAdmin(ScopedAdmin, DjangoUserAdmin):
    """Accounts are managed by superusers only: a role grants access to personal data."""

    list_display = [
        "username",
        "last_name",
        "first_name",
        "role",
        "county",
        "authority",
        "street",
        "institution",
        "is_active",
    ]
    list_filter = ["role", "county", "authority", "is_active"]
    list_select_related = ["county", "street", "institution"]
    autocomplete_fields = ["institution"]
    filter_horizontal = ["scope_counties", "scope_streets", "groups", "user_permissions"]
    fieldsets = DjangoUserAdmin.fieldsets + (
        (
            _("Role and scope"),
            {
                "fields": [
                    "role",
                    "county",
                    "city_code",
                    "authority",
                    "street",
                    "institution",
                    "scope_counties",
                    "scope_streets",
                    "scope_kinds",
                ]
            },
        ),
    )
    add_fieldsets = DjangoUserAdmin.add_fieldsets + (
        (_("Role and scope"), {"fields": ["role", "county", "city_code", "authority", "street", "institution"]}),
    )

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return False  # deactivate instead: history rows name their users


admin.site.unregister(TokenProxy)


@admin.register(TokenProxy)
class ApiTokenAdmin(ScopedAdmin, TokenAdmin):
    def has_module_permission(self, request):
        return request.user.is_superuser
