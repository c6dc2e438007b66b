from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from luchen_care.core.admin import ScopedHistoryAdmin
from luchen_care.core.views import no_store

from .forms import InvitationForm, TwoFactorAuthenticationForm
from .models import ApiToken, Invitation, Role, User
from .permissions import administers_county_accounts, manages_institution_accounts, works_in_admin
from .selectors import accounts_managed_by, api_clients_managed_by, api_tokens_managed_by
from .services import (
    account_save,
    account_unlock,
    account_validate,
    api_token_issue,
    api_token_issue_validate,
    api_token_revoke,
    api_token_rotate,
    two_factor_reset,
)
from .services.institution_accounts import (
    invitation_issue,
    invitation_reissue,
    invitation_revoke,
    invitation_validate,
    password_reset_start,
)

# Roles, not groups, decide what a user may do: the groups page would only mislead.
admin.site.unregister(Group)
# The password, then the authenticator's code (``accounts.twofactor``).
admin.site.login_form = TwoFactorAuthenticationForm
# django-otp's device pages would show every authenticator's secret key: an account manager resets
# a user's second factor instead (the "reset two-factor sign-in" action on the accounts page).
for _device_model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(_device_model):
        admin.site.unregister(_device_model)

# What only a superuser sets: a county administrator reads them, and a POST naming one is refused.
PRIVILEGE_FIELDS = ["is_staff", "is_superuser", "county_administrator", "groups", "user_permissions"]


def manages_accounts(user):
    """A superuser, or a county administrator (its own county's accounts)."""
    return works_in_admin(user) and (user.is_superuser or administers_county_accounts(user))


def county_account_form(form, actor):
    """``form`` for a county administrator: the account-writing rules (``account_validate``) shown on
    its fields, and a hand-made POST of a read-only privilege field refused instead of ignored."""

    class CountyAccountForm(form):
        def _post_clean(self):
            super()._post_clean()
            account = self.instance
            for name in ("is_superuser", "county_administrator"):
                if name in self.data:
                    setattr(account, name, forms.CheckboxInput().value_from_datadict(self.data, self.files, name))
            grant = {
                name: self.cleaned_data.get(name, []) if name in self.fields else None
                for name in ("scope_counties", "scope_streets")
            }
            try:
                account_validate(
                    actor=actor,
                    account=account,
                    groups=self.data.getlist("groups") if hasattr(self.data, "getlist") else (),
                    user_permissions=(self.data.getlist("user_permissions") if hasattr(self.data, "getlist") else ()),
                    **grant,
                )
            except ValidationError as exc:
                for name, messages in exc.message_dict.items():
                    if name in self.errors:
                        continue  # the field's own error (an invalid choice) says it already
                    self.add_error(name if name in self.fields else None, messages)

    return CountyAccountForm


class AccountManagersOnly:
    """An accounts page: open to superusers and county administrators (``manages_accounts``),
    each seeing only the accounts ``get_queryset`` gives it."""

    def has_module_permission(self, request):
        return manages_accounts(request.user)

    def has_view_permission(self, request, obj=None):
        return manages_accounts(request.user)

    def has_add_permission(self, request):
        return manages_accounts(request.user)


@admin.register(User)
class UserAdmin(AccountManagersOnly, ScopedHistoryAdmin, DjangoUserAdmin):
    """Accounts, managed by superusers, and by a county administrator for its own county.

    A county administrator sees only the accounts it manages (``accounts_managed_by``; any other
    is a 404 on every page, the password page included), chooses counties, streets and
    institutions of its county only, and grants no privilege: those fields are read-only for it,
    and ``account_save`` refuses them whatever is posted.
    """

    list_display = [
        "username",
        "last_name",
        "first_name",
        "role",
        "county",
        "authority",
        "street",
        "institution",
        "county_administrator",
        "is_active",
        "two_factor",
    ]
    list_filter = ["role", "county", "authority", "county_administrator", "is_active"]
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
                    "county_administrator",
                    "city_code",
                    "authority",
                    "street",
                    "institution",
                    "scope_counties",
                    "scope_streets",
                    "scope_kinds",
                    "scope_personal_data",
                    "grant_filing",
                ]
            },
        ),
    )
    add_fieldsets = DjangoUserAdmin.add_fieldsets + (
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
                    "scope_personal_data",
                    "grant_filing",
                ]
            },
        ),
    )

    actions = ["unlock", "reset_two_factor"]

    def get_queryset(self, request):
        enrolled = TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)
        return (
            accounts_managed_by(request.user)
            .select_related("county", "street", "institution")
            .annotate(two_factor_enrolled=Exists(enrolled))
        )

    @admin.display(description=_("two-factor sign-in"), boolean=True, ordering="two_factor_enrolled")
    def two_factor(self, obj):
        return getattr(obj, "two_factor_enrolled", None)

    @admin.action(description=_("Reset two-factor sign-in (a lost phone: set it up again at next sign-in)"))
    def reset_two_factor(self, request, queryset):
        accounts = list(queryset)
        count = two_factor_reset(actor=request.user, accounts=accounts)
        for account in accounts:
            self.log_change(request, account, [{"changed": {"fields": [gettext("two-factor sign-in reset")]}}])
        self.message_user(
            request,
            gettext("Two-factor sign-in reset for %(count)d accounts: each sets it up again at its next sign-in.")
            % {"count": count},
        )

    @admin.action(description=_("Unlock sign-in (forget failed attempts)"))
    def unlock(self, request, queryset):
        accounts = list(queryset)
        unlocked = account_unlock(actor=request.user, accounts=accounts)
        for account in accounts:
            self.log_change(request, account, [{"changed": {"fields": [gettext("sign-in lockout lifted")]}}])
        self.message_user(
            request, gettext("Sign-in unlocked for %(count)d accounts with failed attempts.") % {"count": unlocked}
        )

    def get_list_filter(self, request):
        if request.user.is_superuser:
            return self.list_filter
        return [name for name in self.list_filter if name not in ("county", "county_administrator")]

    def get_readonly_fields(self, request, obj=None):
        if request.user.is_superuser:
            return self.readonly_fields
        return [*PRIVILEGE_FIELDS, "city_code", "last_login", "date_joined"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if request.user.is_superuser:
            return form
        return county_account_form(form, request.user)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        actor = request.user
        if administers_county_accounts(actor):
            related = db_field.related_model
            if db_field.name == "county":
                kwargs["queryset"] = related.objects.filter(pk=actor.county_id)
            elif db_field.name in ("street", "institution"):
                kwargs["queryset"] = related.objects.visible_to(actor)  # its county's
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        actor = request.user
        if administers_county_accounts(actor):
            related = db_field.related_model
            if db_field.name == "scope_counties":
                kwargs["queryset"] = related.objects.filter(pk=actor.county_id)
            elif db_field.name == "scope_streets":
                kwargs["queryset"] = related.objects.visible_to(actor)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        if db_field.name == "role" and not request.user.is_superuser:
            kwargs["choices"] = [
                choice for choice in db_field.get_choices() if choice[0] != Role.CITY_HEALTH_COMMISSION
            ]
        return super().formfield_for_choice_field(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        grant = {
            name: form.cleaned_data.get(name, []) if name in form.fields else None
            for name in ("scope_counties", "scope_streets")
        }
        account_save(actor=request.user, account=obj, **grant)

    def has_change_permission(self, request, obj=None):
        return manages_accounts(request.user)

    def has_delete_permission(self, request, obj=None):
        return False  # deactivate instead: history rows name their users


class ApiTokenAddForm(forms.ModelForm):
    """A new token: its account and its client system's name; the rest is the service's."""

    class Meta:
        model = ApiToken
        fields = ["user", "name"]

    def __init__(self, *args, actor=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = actor

    def clean(self):
        cleaned = super().clean()
        if self.actor is not None and not self.errors:
            try:
                api_token_issue_validate(actor=self.actor, user=cleaned.get("user"), name=cleaned.get("name"))
            except ValidationError as exc:
                for name, messages in exc.message_dict.items():
                    self.add_error(name if name in self.fields else None, messages)
        return cleaned


TOKEN_DETAIL_FIELDS = [
    "name",
    "user",
    "prefix",
    "state_label",
    "created_at",
    "created_by",
    "expires_at",
    "last_used_at",
    "rotated_at",
    "replaces",
    "revoked_at",
    "revoked_by",
]


@admin.register(ApiToken)
class ApiTokenAdmin(AccountManagersOnly, ScopedHistoryAdmin):
    """API tokens: every one for a superuser, its API clients' for a county administrator.

    A token is issued (the add page), rotated or revoked (the list's actions), never edited,
    reassigned or deleted: its history keeps who did what. Its key is shown once, on the page
    that answers the POST which made it (never through the messages framework, which keeps
    messages in a cookie); no page shows the key or its hash.
    """

    form = ApiTokenAddForm
    list_display = ["name", "user", "prefix", "state_label", "created_at", "expires_at", "last_used_at"]
    list_select_related = ["user"]
    search_fields = ["name", "user__username", "prefix"]
    actions = ["rotate", "revoke"]

    def get_queryset(self, request):
        return api_tokens_managed_by(request.user).select_related("user", "created_by", "revoked_by")

    @admin.display(description=_("state"))
    def state_label(self, obj):
        return obj.get_state_display()

    def get_fields(self, request, obj=None):
        return ["user", "name"] if obj is None else TOKEN_DETAIL_FIELDS

    def get_readonly_fields(self, request, obj=None):
        return ["state_label"] if obj is None else TOKEN_DETAIL_FIELDS

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        actor = request.user

        class ActorForm(form):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, actor=actor, **kwargs)

        return ActorForm

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "user" and not request.user.is_superuser:
            kwargs["queryset"] = api_clients_managed_by(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        issued = api_token_issue(actor=request.user, user=obj.user, name=obj.name)
        obj.pk = issued.token.pk
        obj.refresh_from_db()
        request._issued_api_tokens = [issued]  # for response_add, this request only

    def response_add(self, request, obj, post_url_continue=None):
        return self._keys_page(request, getattr(request, "_issued_api_tokens", []), _("API token issued"))

    def _keys_page(self, request, issued, title):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": title,
            "issued": issued,
        }
        return no_store(TemplateResponse(request, "admin/accounts/apitoken/key_once.html", context))

    def _confirm_page(self, request, tokens, action, title, explanation):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": title,
            "explanation": explanation,
            "tokens": tokens,
            "action_name": action,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/accounts/apitoken/confirm_action.html", context)

    @admin.action(description=_("Rotate: issue a successor (the old key works until the overlap ends)"))
    def rotate(self, request, queryset):
        tokens = list(queryset)
        if "apply" not in request.POST:
            explanation = gettext(
                "Each token gets a successor of the same name; its key is shown once on the next page. "
                "The current key keeps working for %(hours)d hours, never past its own expiry."
            ) % {"hours": settings.API_TOKEN_ROTATION_OVERLAP_HOURS}
            return self._confirm_page(request, tokens, "rotate", gettext("Rotate API tokens"), explanation)
        try:
            with transaction.atomic():
                issued = [api_token_rotate(actor=request.user, token=token) for token in tokens]
        except (ValidationError, PermissionDenied) as exc:
            self.message_user(request, " ".join(getattr(exc, "messages", [str(exc)])), messages.ERROR)
            return None
        for token, new in zip(tokens, issued, strict=True):
            self.log_change(request, token, [{"changed": {"fields": [gettext("replaced by a rotation")]}}])
            self.log_addition(request, new.token, [{"added": {}}])
        return self._keys_page(request, issued, gettext("API tokens rotated"))

    @admin.action(description=_("Revoke: the token stops working at once"))
    def revoke(self, request, queryset):
        tokens = list(queryset)
        if "apply" not in request.POST:
            explanation = gettext("These tokens will answer 401 from now on. This cannot be undone.")
            return self._confirm_page(request, tokens, "revoke", gettext("Revoke API tokens"), explanation)
        with transaction.atomic():
            revoked = [
                api_token_revoke(actor=request.user, token=token) for token in tokens if token.revoked_at is None
            ]
        for token in revoked:
            self.log_change(request, token, [{"changed": {"fields": [gettext("revoked")]}}])
        self.message_user(request, gettext("%(count)d API tokens revoked.") % {"count": len(revoked)})
        return None

    def has_change_permission(self, request, obj=None):
        return False  # a token is rotated or revoked, never edited

    def has_delete_permission(self, request, obj=None):
        return False  # revoke instead: its history says who issued and revoked it


# --- Institution accounts: invitations, and password resets the bureau starts ---------------------------


def _printable(request, issued_links, title, back_url=""):
    """The page that shows fresh one-time links once (text and QR code) to print; never kept."""
    from .views import qr_svg  # noqa: PLC0415  (the two-factor page's QR code, as an inline SVG)

    links = [{"issued": issued, "qr_svg": mark_safe(qr_svg(issued.url))} for issued in issued_links]
    context = {"title": title, "links": links, "back_url": back_url}
    return no_store(TemplateResponse(request, "accounts/link_print.html", context))


class InvitationAddForm(forms.ModelForm):
    """A new invitation: the institution (among those the bureau may change), the person and how to send."""

    send = InvitationForm.base_fields["send"]

    class Meta:
        model = Invitation
        fields = ["institution", "name", "phone", "email", "administrator"]

    def __init__(self, *args, actor=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = actor

    def clean(self):
        cleaned = super().clean()
        if self.actor is not None and not self.errors:
            try:
                invitation_validate(
                    actor=self.actor,
                    institution=cleaned.get("institution"),
                    name=cleaned.get("name"),
                    email=cleaned.get("email"),
                    phone=cleaned.get("phone"),
                    administrator=cleaned.get("administrator"),
                )
            except ValidationError as exc:
                for name, messages_ in exc.message_dict.items():
                    self.add_error(name if name in self.fields else None, messages_)
            except PermissionDenied as exc:
                self.add_error("institution", str(exc))
        return cleaned


INVITATION_FIELDS = [
    "institution",
    "name",
    "phone",
    "email",
    "administrator",
    "state_label",
    "created_at",
    "created_by",
    "expires_at",
    "used_at",
    "user",
    "revoked_at",
    "revoked_by",
    "replaces",
]


@admin.register(Invitation)
class InvitationAdmin(ScopedHistoryAdmin):
    """Invitations to institution accounts, for whoever may change the institutions
    (``manages_institution_accounts``), each seeing those of its scope (``visible_to``).

    An invitation is issued (the add page, reached from the institution's page), re-issued (a fresh
    link, to print; the old one revoked) or revoked; never edited or deleted. Its link is shown once,
    on the page that answers the POST which made it.
    """

    form = InvitationAddForm
    list_display = ["name", "institution", "administrator", "state_label", "created_at", "expires_at", "created_by"]
    list_select_related = ["institution", "created_by"]
    list_filter = ["administrator", "institution"]
    search_fields = ["name", "institution__name"]
    autocomplete_fields = ["institution"]
    actions = ["reissue", "revoke"]

    def get_queryset(self, request):
        return Invitation.objects.visible_to(request.user).select_related("institution", "created_by")

    def has_module_permission(self, request):
        return manages_institution_accounts(request.user)

    def has_view_permission(self, request, obj=None):
        return manages_institution_accounts(request.user)

    def has_add_permission(self, request):
        return manages_institution_accounts(request.user)

    def has_change_permission(self, request, obj=None):
        return False  # re-issued or revoked (the actions), never edited

    def has_delete_permission(self, request, obj=None):
        return False  # revoked instead: its history says who issued and revoked it

    @admin.display(description=_("state"))
    def state_label(self, obj):
        return obj.get_state_display()

    def get_fields(self, request, obj=None):
        return ["institution", "name", "phone", "email", "administrator", "send"] if obj is None else INVITATION_FIELDS

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else INVITATION_FIELDS

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["fields"] = ["institution", "name", "phone", "email", "administrator"]
        form = super().get_form(request, obj, change=change, **kwargs)
        actor = request.user

        class ActorForm(form):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, actor=actor, **kwargs)

        return ActorForm

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "institution":
            kwargs["queryset"] = db_field.related_model.objects.visible_to(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        issued = invitation_issue(
            actor=request.user,
            institution=obj.institution,
            name=obj.name,
            email=obj.email,
            phone=obj.phone,
            administrator=obj.administrator,
            send=form.cleaned_data.get("send", False),
        )
        obj.pk = issued.record.pk
        obj.refresh_from_db()
        request._issued_links = [issued]  # for response_add, this request only

    def response_add(self, request, obj, post_url_continue=None):
        back = reverse("admin:accounts_invitation_changelist")
        return _printable(request, getattr(request, "_issued_links", []), gettext("Invitation issued"), back)

    def _confirm(self, request, invitations, action, title, explanation):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": title,
            "explanation": explanation,
            "invitations": invitations,
            "action_name": action,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/accounts/invitation/confirm_action.html", context)

    @admin.action(description=_("Issue a new link to print (the old one stops working)"))
    def reissue(self, request, queryset):
        invitations = list(queryset)
        if "apply" not in request.POST:
            explanation = gettext(
                "Each person gets a new link, shown once on the next page to print (and sent, when a channel "
                "is configured); the link it had stops working."
            )
            return self._confirm(request, invitations, "reissue", gettext("Issue new invitation links"), explanation)
        try:
            with transaction.atomic():
                issued = [invitation_reissue(actor=request.user, invitation=invitation) for invitation in invitations]
        except (ValidationError, PermissionDenied) as exc:
            self.message_user(request, " ".join(getattr(exc, "messages", [str(exc)])), messages.ERROR)
            return None
        for link in issued:
            self.log_addition(request, link.record, [{"added": {}}])
        back = reverse("admin:accounts_invitation_changelist")
        return _printable(request, issued, gettext("New invitation links"), back)

    @admin.action(description=_("Revoke: the link stops working at once"))
    def revoke(self, request, queryset):
        invitations = list(queryset)
        if "apply" not in request.POST:
            explanation = gettext("These links will open nothing from now on. This cannot be undone.")
            return self._confirm(request, invitations, "revoke", gettext("Revoke invitations"), explanation)
        try:
            with transaction.atomic():
                revoked = [invitation_revoke(actor=request.user, invitation=invitation) for invitation in invitations]
        except PermissionDenied as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return None
        for invitation in revoked:
            self.log_change(request, invitation, [{"changed": {"fields": [gettext("revoked")]}}])
        self.message_user(request, gettext("%(count)d invitations revoked.") % {"count": len(revoked)})
        return None


def start_password_reset(modeladmin, request, queryset):
    """The bureau starts a password reset of the selected institution accounts: each link goes to the
    account's e-mail or phone, and the page that follows shows every link once, to print."""
    try:
        with transaction.atomic():
            issued = [password_reset_start(actor=request.user, user=account) for account in queryset]
    except (ValidationError, PermissionDenied) as exc:
        modeladmin.message_user(request, " ".join(getattr(exc, "messages", [str(exc)])), messages.ERROR)
        return None
    for link in issued:
        modeladmin.log_change(request, link.record.user, [{"changed": {"fields": [gettext("password reset started")]}}])
    return _printable(request, issued, gettext("Password reset links"), reverse("admin:accounts_user_changelist"))


start_password_reset.short_description = _("Start a password reset (institution accounts: send or print a link)")
UserAdmin.actions = [*UserAdmin.actions, "start_password_reset"]
UserAdmin.start_password_reset = start_password_reset
