"""The one admin base every ModelAdmin of the platform derives from.

Scope is decided by each admin's ``get_queryset`` (``visible_to``) and its
``has_*_permission`` methods; these bases make every face of an admin obey them:

- ``ScopedAdmin``: a record outside ``get_queryset`` answers 404 on the change, delete
  and history pages (Django's admin would redirect to the index, saying the id does not
  exist: a different answer from a record that is out of scope); so does a malformed id.
- ``ScopedAdmin`` also narrows the choices of every form field and list filter that points at
  another scoped record (a street, an institution, a county) to those the user sees
  (``scoped_choices``): a 龙湾 bureau's street drop-down and county filter hold 龙湾's only.
- ``ScopedHistoryAdmin`` adds django-simple-history's history list, version and revert
  pages, behind the same scope and the same change permission as the change page.
  simple-history's own views fall back to the history rows when the record is not in the
  queryset, and save a revert POST without asking for change permission: both are closed
  here. Revert is off unless an admin sets ``history_revert = True`` (plain reference data
  only); a reverting admin's ``save_model`` must call the same service as a change.
  Its list and version pages show every value through ``luchen_care.core.history`` (labels,
  choice labels, scoped related records, one date and time format).

``luchen_care.core.checks`` refuses to start with an admin that is not built on these.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import flatten_fieldsets, unquote
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Exists, OuterRef, Q
from django.http import Http404
from django.utils.html import format_html
from django.utils.text import smart_split, unescape_string_literal
from django.utils.translation import gettext as _
from simple_history.admin import SimpleHistoryAdmin

from luchen_care.accounts.permissions import works_in_admin

from .history import HistoryFormatter, history_rows
from .scope import scope_for, scope_path_of


def scoped_choices(model, user):
    """The rows of ``model`` that ``user`` may pick in a form or filter: ``visible_to(user)`` when
    the model is scoped (streets, institutions, counties…), ``None`` when it is not (users, types)."""
    queryset = model._default_manager.all()
    if not hasattr(queryset, "visible_to"):
        return None
    return queryset.visible_to(user)


def admin_search_terms(search_term):
    """The terms the admin's search looks for in ``search_term``, split as Django's
    ``ModelAdmin.get_search_results`` splits them (on spaces; a quoted phrase is one term)."""
    terms = []
    for bit in smart_split(search_term):
        if bit.startswith(('"', "'")) and bit[0] == bit[-1]:
            bit = unescape_string_literal(bit)
        terms.append(bit)
    return terms


class ScopedRelatedFieldListFilter(admin.RelatedFieldListFilter):
    """A list filter on a related record (a street, a county) offering, as Django's
    ``RelatedOnlyFieldListFilter`` does, the records that the user's rows point at: a street office's
    own street, the streets of a bureau's county that have an institution.

    Asked differently: for each record the user sees (``scoped_choices``), whether one of the user's
    rows points at it (``EXISTS``, one index probe each) instead of ``DISTINCT`` over every row of
    the list, which read the whole district (100,000 institutions) on every changelist view.
    """

    def field_choices(self, field, request, model_admin):
        # ``field_path``: the filter may sit behind a relation (a registration's ``institution__street``).
        rows = model_admin.get_queryset(request).filter(**{self.field_path: OuterRef("pk")})
        offered = Q(Exists(rows))
        candidates = scoped_choices(field.related_model, request.user)
        if candidates is not None:
            offered &= Q(pk__in=candidates.values("pk"))
        ordering = self.field_admin_ordering(field, request, model_admin)
        return field.get_choices(include_blank=False, limit_choices_to=offered, ordering=ordering)


class CountOnceChangeList(ChangeList):
    """A changelist that counts its rows once (``show_full_result_count = False``: no second count of
    the whole unfiltered list for "N total", Django's advice for large tables). Unfiltered and
    unsearched, the count made is the whole list's, so the page says nothing more; filtered, it says
    "N 条结果。(显示全部)"."""

    def get_filters(self, request):
        # A date-hierarchy year past what a date holds (?effective_from__year=99999999999) overflows
        # where Django expects a ValueError: answered as any bad lookup (the list again, ?e=1).
        try:
            return super().get_filters(request)
        except OverflowError as exc:
            raise IncorrectLookupParameters(exc) from exc

    def get_results(self, request):
        super().get_results(request)
        if not self.has_active_filters and not self.query:
            self.full_result_count = self.result_count
            self.show_full_result_count = True


class ScopedAdmin(admin.ModelAdmin):
    """A ModelAdmin whose out-of-scope and unknown records are 404 everywhere."""

    show_full_result_count = False  # CountOnceChangeList

    def get_changelist(self, request, **kwargs):
        return CountOnceChangeList

    def action_checkbox(self, obj):
        # Django's own markup, written directly: rendering a CheckboxInput through the template engine
        # for every row was a fifth of a changelist's Python.
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            helpers.ACTION_CHECKBOX_NAME,
            str(obj.pk),
            format_html(_("Select this object for an action - {}"), str(obj)),
        )

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "queryset" not in kwargs:
            choices = scoped_choices(db_field.related_model, request.user)
            if choices is not None:
                kwargs["queryset"] = choices
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if "queryset" not in kwargs:
            choices = scoped_choices(db_field.related_model, request.user)
            if choices is not None:
                kwargs["queryset"] = choices
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def get_list_filter(self, request):
        # A filter on a related record offers only the records of the rows the user sees
        # (Django's own related filter lists every row of the related table).
        filters = []
        for entry in super().get_list_filter(request):
            if isinstance(entry, str) and "__" not in entry:
                field = self.opts.get_field(entry)
                if field.is_relation and scoped_choices(field.related_model, request.user) is not None:
                    entry = (entry, ScopedRelatedFieldListFilter)
            filters.append(entry)
        return filters

    def _get_obj_does_not_exist_redirect(self, request, opts, object_id):
        # Django redirects to the admin index with "does not exist"; a record that exists
        # outside the user's scope must look exactly like one that does not exist.
        raise Http404(_("No record with this id is visible to you."))

    def response_action(self, request, queryset):
        # Django filters by the posted ids as they are: one that is not an id of this model
        # ("abc") would be a 500 when the action reads the selection. Refuse it, changing nothing.
        pk_field = self.opts.pk
        for value in request.POST.getlist(helpers.ACTION_CHECKBOX_NAME):
            try:
                pk_field.to_python(value)
            except ValidationError:
                self.message_user(request, _("A selected id is not valid; nothing was changed."), messages.ERROR)
                return None
        return super().response_action(request, queryset)

    def get_object_or_404(self, request, object_id):
        """The record if ``get_queryset`` (the user's scope) holds it; otherwise 404."""
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404(_("No record with this id is visible to you."))
        return obj


class BureauReadOnlyAdmin(ScopedAdmin):
    """Records the district bureaus read and nobody edits, adds or deletes (push deliveries,
    the inbox awaiting filing, the daily digests).

    A district bureau (``Scope.district_wide``: the health bureau and superusers, the education
    bureau) reads the page when the model's declaration reaches its scope, and sees the rows
    ``visible_to`` gives it: the education bureau its nursery classes' rows, and no district-level
    record (a ``ScopePath.district()`` model is the health bureau's alone). An admin that narrows
    ``get_queryset`` further starts from ``visible_to`` too.
    """

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)

    def reads_bureau_records(self, user):
        if not works_in_admin(user):
            return False
        scope = scope_for(user)
        return scope.district_wide and scope_path_of(self.model).reaches(scope)

    def has_module_permission(self, request):
        return self.reads_bureau_records(request.user)

    def has_view_permission(self, request, obj=None):
        return self.reads_bureau_records(request.user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class _EmptyForm(forms.ModelForm):
    class Meta:
        fields = []


def version_field(formatter, name):
    """A read-only field of a version page: field ``name`` of the version, as the history shows it
    (its help text still found by its name)."""

    def display(instance):
        return formatter.record_value(instance, name)

    display.__name__ = name
    display.short_description = formatter.label(name)
    return display


class ScopedHistoryAdmin(ScopedAdmin, SimpleHistoryAdmin):
    """simple-history's pages, scoped like the change page; revert off unless declared."""

    #: Plain reference data (a population figure, a calendar day) may be reverted by whoever
    #: may change it. Records with a workflow or computed fields never are: a revert would
    #: write status, dates or deadlines behind the services' back.
    history_revert = False

    def revert_disabled(self, request, obj=None):
        return not (self.history_revert and self.has_change_permission(request, obj))

    def history_view(self, request, object_id, extra_context=None):
        obj = self.get_object_or_404(request, object_id)
        if not self.has_view_or_change_permission(request, obj):
            raise PermissionDenied
        extra_context = {
            "history_list_labels": self.get_history_list_labels(request),
            **self.history_extra_context(request, obj),
            **(extra_context or {}),
        }
        return super().history_view(request, str(obj.pk), extra_context)

    def history_extra_context(self, request, obj):
        """What a subclass adds to the history list page (e.g. related records' changes)."""
        return {}

    def get_history_list_labels(self, request):
        """The headings of ``history_list_display``: a field's verbose name, an admin method's description."""
        formatter = HistoryFormatter(self.model, request.user)
        field_names = {field.name for field in self.opts.get_fields()}
        labels = []
        for name in self.get_history_list_display(request):
            if name in field_names:
                labels.append(formatter.label(name))
            else:
                labels.append(getattr(getattr(self, name, None), "short_description", name))
        return labels

    def set_history_delta_changes(self, request, historical_records, foreign_keys_are_objs=True):
        # simple-history shows stored values (codes, ids, "True", UTC times); the one helper
        # shows what a person reads, and no related record the viewer may not see.
        history_rows(
            model=self.model,
            records=historical_records,
            viewer=request.user,
            columns=self.get_history_list_display(request),
        )

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        obj = self.get_object_or_404(request, object_id)
        if not self.has_view_or_change_permission(request, obj):
            raise PermissionDenied
        if not str(version_id).isdigit():
            raise Http404(_("No such version."))
        if request.method == "POST" and self.revert_disabled(request, obj):
            # A revert is a change: refused, and nothing is written.
            raise PermissionDenied
        return super().history_form_view(request, str(obj.pk), version_id, extra_context)

    def render_history_view(self, request, template, context, **kwargs):
        admin_form = context.get("adminform")
        if admin_form is not None and context.get("revert_disabled"):
            # A version shown to someone who may not revert it: every field as text, no inputs,
            # each model field shown as the history list shows it (``version_field``).
            # A field the history does not keep (a password hash, a last login, an untracked
            # many-to-many) is not shown: the version would show today's value.
            formatter = HistoryFormatter(self.model, request.user)
            field_names = {field.name for field in self.opts.get_fields()}
            history_model = getattr(self.model, self.opts.simple_history_manager_attribute).model
            not_kept = set(history_model._history_excluded_fields) | {
                field.name
                for field in self.opts.many_to_many
                if field.name not in {kept.name for kept in history_model._history_m2m_fields}
            }

            def shown(names):
                return [
                    version_field(formatter, name) if isinstance(name, str) and name in field_names else name
                    for name in names
                    if name not in not_kept
                ]

            fieldsets = []
            for title, options in admin_form.fieldsets:
                lines = []
                for entry in options.get("fields", ()):
                    several = isinstance(entry, (list, tuple))
                    names = shown(entry if several else [entry])
                    if names:
                        lines.append(tuple(names) if several else names[0])
                if lines:
                    fieldsets.append((title, {**options, "fields": lines}))
            instance = admin_form.form.instance
            form_class = forms.modelform_factory(type(instance), form=_EmptyForm, fields=[])
            context["adminform"] = admin.helpers.AdminForm(
                form_class(instance=instance),
                fieldsets,
                {},
                readonly_fields=flatten_fieldsets(fieldsets),
                model_admin=self,
            )
            context["has_change_permission"] = False
        return super().render_history_view(request, template, context, **kwargs)


class StaffAdminPermissions:
    """The ``has_*_permission`` methods most admins wrote out again, from three rules of the user.

    Whoever works in the admin (``works_in_admin``) reaches the module and reads its records;
    adding, changing and deleting each also need ``may_add(user)``, ``may_change(user, obj)`` or
    ``may_delete(user, obj)``, which refuse unless the admin says otherwise. It goes before the
    admin's base: ``class InstitutionAdmin(StaffAdminPermissions, ScopedHistoryAdmin)``.
    """

    def may_add(self, user):
        return False

    def may_change(self, user, obj):
        return False

    def may_delete(self, user, obj):
        return False

    def has_module_permission(self, request):
        return works_in_admin(request.user)

    def has_view_permission(self, request, obj=None):
        return works_in_admin(request.user)

    def has_add_permission(self, request):
        return works_in_admin(request.user) and self.may_add(request.user)

    def has_change_permission(self, request, obj=None):
        return works_in_admin(request.user) and self.may_change(request.user, obj)

    def has_delete_permission(self, request, obj=None):
        return works_in_admin(request.user) and self.may_delete(request.user, obj)
