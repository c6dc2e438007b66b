"""System checks: every admin is built on the scoped bases (``luchen_care.core.admin``), and
every model with a ``visible_to`` derives it from its scope declaration (``luchen_care.core.scope``).

A new ModelAdmin that forgets the bases would reopen the holes they close (history pages of
out-of-scope records, reverts by read-only roles), and a model that writes its own role switch
or names a path it does not have would show rows to the wrong role: the platform refuses to
start instead.
"""

from django.apps import apps
from django.contrib import admin
from django.core import checks
from django.core.exceptions import FieldDoesNotExist
from simple_history.admin import SimpleHistoryAdmin


@checks.register(checks.Tags.admin)
def admins_are_scoped(app_configs=None, **kwargs):
    from .admin import ScopedAdmin, ScopedHistoryAdmin  # noqa: PLC0415  (admin is loaded late)

    errors = []
    for model, model_admin in admin.site._registry.items():
        name = f"{type(model_admin).__module__}.{type(model_admin).__qualname__}"
        if not isinstance(model_admin, ScopedAdmin):
            errors.append(
                checks.Error(
                    f"{name} (for {model._meta.label}) does not derive from luchen_care.core.admin.ScopedAdmin.",
                    hint="Build every ModelAdmin on ScopedAdmin or ScopedHistoryAdmin.",
                    obj=model_admin,
                    id="core.E001",
                )
            )
        elif isinstance(model_admin, SimpleHistoryAdmin) and not isinstance(model_admin, ScopedHistoryAdmin):
            errors.append(
                checks.Error(
                    f"{name} uses simple-history's admin without its scoping.",
                    hint="Derive from luchen_care.core.admin.ScopedHistoryAdmin instead of SimpleHistoryAdmin.",
                    obj=model_admin,
                    id="core.E002",
                )
            )
    return errors


def _resolve(model, path):
    """The model field ``path`` (a lookup path) ends at on ``model``, or ``None``."""
    field = None
    for name in path.split("__"):
        if model is None:
            return None
        try:
            field = model._meta.pk if name == "pk" else model._meta.get_field(name)
        except FieldDoesNotExist:
            return None
        model = field.related_model if field.is_relation else None
    return field


@checks.register(checks.Tags.models)
def scoped_models_declare_their_path(app_configs=None, **kwargs):
    """Every model with a ``visible_to`` derives it from its ``ScopePath``, and every path resolves.

    A later model that writes its own role switch, or names a field it does not have, stops the
    platform at start-up instead of showing rows to the wrong role.
    """
    return scope_declaration_errors(apps.get_models())


def scope_declaration_errors(models):
    """The errors of ``scoped_models_declare_their_path`` for ``models``."""
    from .scope import EDUCATION_BUREAU_KINDS, ScopedQuerySet, ScopePath  # noqa: PLC0415  (models load first)

    errors = []
    for model in models:
        label = model._meta.label
        path = getattr(model, "scope", None)
        managers = [m for m in model._meta.managers if hasattr(m, "visible_to")]
        for manager in managers:
            queryset_class = type(manager.get_queryset())
            if not issubclass(queryset_class, ScopedQuerySet) or (
                queryset_class.visible_to is not ScopedQuerySet.visible_to
            ):
                errors.append(
                    checks.Error(
                        f"{label}.{manager.name}.visible_to is not derived from the model's scope declaration.",
                        hint="Base its queryset on luchen_care.core.scope.ScopedQuerySet, declare "
                        "scope = ScopePath(...) on the model, and do not override visible_to.",
                        obj=model,
                        id="core.E003",
                    )
                )
        if managers and not isinstance(path, ScopePath):
            errors.append(
                checks.Error(
                    f"{label} has a visible_to but declares no scope = ScopePath(...).",
                    hint="Declare the model's path to the institution (or the street), or ScopePath.district().",
                    obj=model,
                    id="core.E004",
                )
            )
        if not isinstance(path, ScopePath):
            continue
        if not managers:
            errors.append(
                checks.Error(
                    f"{label} declares a scope but no manager offers visible_to.",
                    hint="objects = ScopedQuerySet.as_manager() (or a subclass of it).",
                    obj=model,
                    id="core.E005",
                )
            )
        if path.level == ScopePath.SUBJECT:
            type_field, id_field = path.subject_fields
            content_type = _resolve(model, type_field)
            if content_type is None or not content_type.is_relation or _resolve(model, id_field) is None:
                errors.append(
                    checks.Error(
                        f"{label}.scope names a subject ({type_field}, {id_field}) that is not a content type and id.",
                        obj=model,
                        id="core.E006",
                    )
                )
            continue
        for part, lookup in path.paths().items():
            field = _resolve(model, lookup)
            if field is None:
                errors.append(
                    checks.Error(
                        f"{label}.scope: the {part} path “{lookup}” does not resolve to a field.",
                        obj=model,
                        id="core.E006",
                    )
                )
            elif part == "kind" and field.choices:
                values = {value for value, _label in field.flatchoices}
                if not EDUCATION_BUREAU_KINDS <= values:
                    errors.append(
                        checks.Error(
                            f"The education bureau's kinds {sorted(EDUCATION_BUREAU_KINDS)} are not among "
                            f"the choices of {label}'s kind path “{lookup}”.",
                            hint="Keep luchen_care.core.scope.EDUCATION_BUREAU_KINDS in step with those kinds.",
                            obj=model,
                            id="core.E007",
                        )
                    )
    return errors
