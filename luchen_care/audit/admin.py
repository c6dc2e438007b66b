"""The access log of personal data in the admin: read, filtered and searched; never added, changed or deleted.

Who reads it (``administers_district``): superusers, every entry; a county's health bureau (its
county administrators included), its own county's entries (``PersonalDataAccess.objects.visible_to``).
Nobody else reaches the page: the city commission, the education bureau, street offices and
authorities get 403 (out-of-scope entries 404, as everywhere).
"""

from django.apps import apps
from django.contrib import admin
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from luchen_care.accounts.models import Role
from luchen_care.accounts.permissions import administers_district
from luchen_care.core.admin import BureauReadOnlyAdmin
from luchen_care.core.masking import reads_personal_data

from .models import AccessAction, Face, PersonalDataAccess
from .selectors import personal_data_access_list
from .services import SUPERUSER_ROLE, personal_data_access_record


class LogsPersonalDataPages:
    """For a ModelAdmin whose change, history and version pages show personal fields: each page
    shown is one entry of the access log. It goes before the admin's base.

    ``personal_data_county(obj)`` names the record's county (its bureau reads the entry).
    """

    def personal_data_county(self, obj):
        return None

    def log_personal_data_page(self, request, obj, action):
        if obj is None or not reads_personal_data(request.user):
            return
        personal_data_access_record(
            request=request,
            face=Face.ADMIN,
            action=action,
            record_type=self.model,
            records=[(obj.pk, str(obj))],
            counties=[self.personal_data_county(obj)],
        )

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        # Called only when the page is shown (a GET, or a POST sent back with errors), after the
        # scope and permission checks; never for the add page.
        if not add:
            self.log_personal_data_page(request, obj, AccessAction.VIEW)
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)

    def render_history_view(self, request, template, context, **kwargs):
        # The history list (its diffs show old and new values) and a version page (every field).
        record = context.get("original") or context.get("object")
        self.log_personal_data_page(request, record, AccessAction.HISTORY)
        return super().render_history_view(request, template, context, **kwargs)


@admin.register(PersonalDataAccess)
class PersonalDataAccessAdmin(BureauReadOnlyAdmin):
    list_display = [
        "when",
        "username",
        "role_label",
        "address",
        "face",
        "action",
        "record_kind",
        "records",
        "row_count",
    ]
    list_filter = [("user", admin.RelatedOnlyFieldListFilter), "face", "action", "record_type", "county"]
    date_hierarchy = "at"
    search_fields = ["username"]
    search_help_text = _("A record's id (e.g. 12) or name, or a username.")
    list_per_page = 50
    actions = None
    fields = [
        "when",
        "user",
        "username",
        "role_label",
        "county",
        "address",
        "face",
        "action",
        "record_kind",
        "record_ids",
        "record_labels",
        "row_count",
        "query",
        "path",
    ]
    readonly_fields = fields

    def reads_bureau_records(self, user):
        # The district bureaus' pages are read by the education bureau and the city commission too;
        # this one by superusers and a county's health bureau alone.
        return administers_district(user) and super().reads_bureau_records(user)

    def get_queryset(self, request):
        return personal_data_access_list(user=request.user)

    def get_search_results(self, request, queryset, search_term):
        # A number finds the entries naming that record id; any text, the records (or the users) named so.
        term = search_term.strip()
        if not term:
            return queryset, False
        condition = Q(label_index__icontains=term) | Q(username__icontains=term)
        if term.isdigit():
            condition |= Q(record_index__contains=f"#{term}#")
        return queryset.filter(condition), False

    @admin.display(description=_("at"), ordering="at")
    def when(self, obj):
        return date_format(timezone.localtime(obj.at), "DATETIME_FORMAT")

    @admin.display(description=_("role"))
    def role_label(self, obj):
        if obj.role == SUPERUSER_ROLE:
            return _("superuser")
        return Role(obj.role).label if obj.role in Role.values else obj.role

    @admin.display(description=_("kind of record"), ordering="record_type")
    def record_kind(self, obj):
        try:
            return apps.get_model(obj.record_type)._meta.verbose_name
        except (LookupError, ValueError):
            return obj.record_type

    @admin.display(description=_("records"))
    def records(self, obj):
        labels = ", ".join(obj.record_labels[:5])
        if not labels:
            return _("%(count)d rows") % {"count": obj.row_count}
        if obj.row_count > 5 or len(obj.record_labels) > 5:
            return _("%(labels)s … (%(count)d in all)") % {"labels": labels, "count": obj.row_count}
        return labels
