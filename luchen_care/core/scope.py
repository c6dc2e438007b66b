"""Who sees which rows, decided once: the scope resolver and the paths models declare to it.

Two halves, and neither knows the other's business:

- ``scope_for(user)`` turns a user into a ``Scope``: what its role reaches, and nothing about
  any model. This is the only place that says what a role means for seeing.
- Each scoped model declares, as ``scope = ScopePath(...)``, where on its rows the things a
  scope names are found (its institution, street, kind, registration authority, chain head
  office). Its queryset is a ``ScopedQuerySet``: ``visible_to(user)`` translates the user's
  scope through the declaration, and is never written out by hand.

A declaration may lean on another's: ``ScopePath(institution="institution")`` takes every path
it does not name from the declaration of the model that ``institution`` points at, behind
``institution__``. Three other declarations exist: ``ScopePath.district()`` for county-level
records that only those who see everything read (the daily digest), ``ScopePath.reference(county=…)``
for reference data every role reads for its own counties (streets, their populations), and
``ScopePath.subject(type_field, id_field)`` for rows about any record (the outbox): such a row
is visible as its subject is, through the subject model's own declaration.

A scope narrows by something a declaration does not reach (a kind, on a record that has no
institution; a county, on a record with no county path) gives none of its rows: the rule fails
closed. ``luchen_care.core.checks``
refuses to start when a model has a ``visible_to`` not derived here, or a path that does not
resolve.
"""

from dataclasses import dataclass
from enum import StrEnum
from functools import reduce
from operator import or_

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import Q

from luchen_care.accounts.roles import COUNTY_ROLES, Role

# The institution kinds the education bureau oversees (registry's InstitutionKind.NURSERY_CLASS:
# kindergarten nursery classes). Core knows no registry model; ``core.checks`` holds this to the
# institution model's kind choices.
EDUCATION_BUREAU_KINDS = frozenset({"nursery_class"})


class Reach(StrEnum):
    """What a scope reaches."""

    EVERYTHING = "everything"  # superusers; a health bureau or city commission, within its counties
    NOTHING = "nothing"  # anonymous, inactive, a role without what it needs
    KINDS = "kinds"  # institutions of these kinds, in every street (the education bureau)
    AUTHORITY = "authority"  # what one registration authority registered
    STREETS = "streets"  # what lies in these streets (a street office)
    INSTITUTIONS = "institutions"  # these institutions and their branches (an institution's users)
    GRANT = "grant"  # an API client's grant: these streets and kinds, an empty set meaning every one


@dataclass(frozen=True)
class Scope:
    """A user's reach, as ``scope_for`` resolved it; compared by value.

    ``counties`` narrows every reach to the rows of these counties (``regions.County`` ids): a
    county's bureaus, a city's commission. Empty means no county limit: superusers, street
    offices and institutions (their street or institution implies the county), an API grant that
    names none.
    """

    reach: Reach
    kinds: frozenset = frozenset()
    authority: str = ""
    streets: frozenset = frozenset()
    institutions: frozenset = frozenset()
    counties: frozenset = frozenset()

    @property
    def district_wide(self):
        """A county bureau (or a city commission): its rows lie across every street and authority
        of its counties (all of them, or its kinds).

        The bureaus' own pages (the inbox awaiting filing, the outbox) are theirs to read.
        """
        return self.reach in (Reach.EVERYTHING, Reach.KINDS)


EVERYTHING = Scope(Reach.EVERYTHING)
NOTHING = Scope(Reach.NOTHING)


def _counties_of_city(user, city_code):
    county_model = user._meta.get_field("county").related_model
    return frozenset(county_model.objects.filter(city_code=city_code).values_list("pk", flat=True))


def scope_for(user) -> Scope:
    """The scope of ``user``: the one statement of what each role may see.

    - superusers: everything, in every county
    - health bureau: everything of its county
    - city health commission: everything of its city's counties (it writes nothing)
    - education bureau: kindergarten nursery classes of its county
    - registration authority: what that authority of its county registered
    - street office: its own street (which lies in one county)
    - institution: itself, plus its branches if it is a chain head office
    - API client: its grant (counties, streets and kinds; empty means all)
    - anyone else, an inactive or anonymous user, a role without its county, authority, city,
      street or institution: nothing

    Deliberately cross-county, and not decided here: the lifetime-ban list (a person banned in
    any county is refused in every one) and matching a person across institutions.
    """
    if user is None or not user.is_authenticated or not user.is_active:
        return NOTHING
    if user.is_superuser:
        return EVERYTHING
    role = user.role
    if role in COUNTY_ROLES and not user.county_id:
        return NOTHING
    county = frozenset({user.county_id})
    if role == Role.HEALTH_BUREAU:
        return Scope(Reach.EVERYTHING, counties=county)
    if role == Role.CITY_HEALTH_COMMISSION and user.city_code:
        counties = _counties_of_city(user, user.city_code)
        return Scope(Reach.EVERYTHING, counties=counties) if counties else NOTHING
    if role == Role.EDUCATION_BUREAU:
        return Scope(Reach.KINDS, kinds=EDUCATION_BUREAU_KINDS, counties=county)
    if role == Role.REGISTRATION_AUTHORITY and user.authority:
        return Scope(Reach.AUTHORITY, authority=user.authority, counties=county)
    if role == Role.STREET_OFFICE and user.street_id:
        # Its street's county too, so that its reference data (streets) is its county's.
        return Scope(Reach.STREETS, streets=frozenset({user.street_id}), counties=frozenset({user.street.county_id}))
    if role == Role.INSTITUTION and user.institution_id:
        return Scope(Reach.INSTITUTIONS, institutions=frozenset({user.institution_id}))
    if role == Role.API_CLIENT:
        kinds = user.scope_kinds if isinstance(user.scope_kinds, list) else []
        return Scope(
            Reach.GRANT,
            streets=frozenset(user.scope_streets.values_list("pk", flat=True)),
            kinds=frozenset(kinds),
            counties=frozenset(user.scope_counties.values_list("pk", flat=True)),
        )
    return NOTHING


def _among(path, values):
    values = sorted(values)
    if len(values) == 1:
        return Q(**{path: values[0]})
    return Q(**{f"{path}__in": values})


class ScopePath:
    """Where, on a model's rows, the things a scope names are found (Django lookup paths).

    ``institution``: the institution (``"pk"`` on the institution model itself, else its foreign
    key); ``head_office``: the institution's chain head office; ``street``, ``kind``,
    ``authority``: the street, the institution kind, the registration authority. A path not given
    comes from the declaration of the model ``institution`` points at, when it declares one.
    """

    INSTITUTION_LEVEL, DISTRICT, SUBJECT, REFERENCE = "institution", "district", "subject", "reference"

    def __init__(self, *, institution="", head_office="", street="", kind="", authority="", county=""):
        self.level = self.INSTITUTION_LEVEL
        self.given = {
            "institution": institution,
            "head_office": head_office,
            "street": street,
            "kind": kind,
            "authority": authority,
            "county": county,
        }
        self.shared_when_empty = False

        self.subject_fields = None
        self.model = None
        self._paths = None

    @classmethod
    def district(cls, county=None):
        """A record of a whole county (a county's daily digest, given its ``county`` path), read by
        the scopes that see everything of that county: its health bureau, its city's commission,
        a superuser. Without a county path it is the whole deployment's, a superuser's alone."""
        path = cls(county=county) if county else cls()
        path.level = cls.DISTRICT
        return path

    @classmethod
    def reference(cls, county, *, shared_when_empty=False):
        """Reference data (streets, their populations, policy rows): every signed-in role reads the
        rows of its own counties (all of them, when its scope names no county).
        ``shared_when_empty``: a row with no county is a default, which every role reads."""
        path = cls(county=county)
        path.level = cls.REFERENCE
        path.shared_when_empty = shared_when_empty
        return path

    @classmethod
    def subject(cls, type_field, id_field):
        """A row about another record (content type and id): visible as that record is."""
        path = cls()
        path.level = cls.SUBJECT
        path.subject_fields = (type_field, id_field)
        return path

    def contribute_to_class(self, cls, name):
        # Django hands every class attribute that has this method its model.
        if self.model is None:
            self.model = cls
        setattr(cls, name, self)

    def __repr__(self):
        model = self.model._meta.label if self.model else "?"
        if self.level == self.SUBJECT:
            return f"<ScopePath {model}: subject {self.subject_fields}>"
        if self.level == self.DISTRICT:
            return f"<ScopePath {model}: district>"
        return f"<ScopePath {model}: {self.paths()}>"

    # --- the paths, resolved ---------------------------------------------------------------

    def paths(self):
        """Every path this declaration reaches, its own and those it takes from its institution's model."""
        if self._paths is None:
            paths = {part: path for part, path in self.given.items() if path}
            inherited = self.inherited()
            if inherited is not None:
                prefix = self.given["institution"]
                for part, path in inherited.paths().items():
                    if part != "institution":
                        paths.setdefault(part, f"{prefix}__{path}")
            self._paths = paths
        return self._paths

    def inherited(self):
        """The declaration of the model ``institution`` points at (``None`` if none, or on that model itself)."""
        name = self.given["institution"]
        if not name or name == "pk" or self.model is None:
            return None
        # Followed across relations too (a filing's section: ``filing__institution``).
        target = self.model
        try:
            for part in name.split("__"):
                target = target._meta.get_field(part).related_model
                if target is None:
                    return None
        except FieldDoesNotExist:
            return None
        path = getattr(target, "scope", None) if target is not None else None
        if isinstance(path, ScopePath) and path.level == self.INSTITUTION_LEVEL and path is not self:
            return path
        return None

    # --- the translation -----------------------------------------------------------------------

    def condition(self, scope):
        """The filter ``scope`` puts on this model's rows: a ``Q`` (``Q()`` for all), or ``None`` for none.

        The reach's own condition, narrowed to the scope's counties when it names any. A model
        whose declaration reaches no county gives a county-limited scope none of its rows.
        """
        if scope.reach == Reach.NOTHING:
            return None
        if scope.reach == Reach.EVERYTHING and not scope.counties:
            return Q()  # a superuser: every row, of every county and about any record
        if self.level == self.SUBJECT:
            return self._subject_condition(scope)
        if self.level == self.REFERENCE:
            condition = Q()
        elif self.level == self.DISTRICT:
            condition = Q() if scope.reach == Reach.EVERYTHING else None
        else:
            condition = self._reach_condition(scope)
        if condition is None or not scope.counties:
            return condition
        county = self.paths().get("county")
        if not county:
            return None
        within = _among(county, scope.counties)
        if self.shared_when_empty:
            within |= Q(**{f"{county}__isnull": True})
        return condition & within

    def _reach_condition(self, scope):
        if scope.reach == Reach.EVERYTHING:
            return Q()
        paths = self.paths()
        if scope.reach == Reach.KINDS:
            return _among(paths["kind"], scope.kinds) if "kind" in paths and scope.kinds else None
        if scope.reach == Reach.AUTHORITY:
            return Q(**{paths["authority"]: scope.authority}) if "authority" in paths else None
        if scope.reach == Reach.STREETS:
            return _among(paths["street"], scope.streets) if "street" in paths and scope.streets else None
        if scope.reach == Reach.INSTITUTIONS:
            if "institution" not in paths or not scope.institutions:
                return None
            condition = _among(paths["institution"], scope.institutions)
            if "head_office" in paths:
                condition |= _among(paths["head_office"], scope.institutions)
            return condition
        if scope.reach == Reach.GRANT:
            condition = Q()
            for part, values in (("street", scope.streets), ("kind", scope.kinds)):
                if values:
                    if part not in paths:
                        return None
                    condition &= _among(paths[part], values)
            return condition
        return None

    def _subject_condition(self, scope):
        type_field, id_field = self.subject_fields
        parts = []
        for model in scoped_models():
            path = model.scope
            county_level = path.level == self.DISTRICT and path.paths().get("county")
            if path.level != self.INSTITUTION_LEVEL and not county_level:
                # A deployment-wide subject is for those who see everything; subjects of subjects, none.
                continue
            queryset = model._default_manager.all()
            if not isinstance(queryset, ScopedQuerySet):
                continue
            visible = queryset.in_scope(scope)
            if visible.query.is_empty():
                continue
            content_type = _content_type(model)
            parts.append(Q(**{type_field: content_type, f"{id_field}__in": visible.values("pk")}))
        return reduce(or_, parts) if parts else None

    def reaches(self, scope):
        """Whether ``scope`` could see any row of this model (a county-level record: only everything)."""
        return self.condition(scope) is not None


def _content_type(model):
    from django.contrib.contenttypes.models import ContentType  # noqa: PLC0415  (contenttypes needs the registry)

    return ContentType.objects.get_for_model(model)


def scoped_models():
    """Every concrete model that declares a ``ScopePath`` (proxies share their model's rows)."""
    return [
        model
        for model in apps.get_models()
        if not model._meta.proxy and isinstance(getattr(model, "scope", None), ScopePath)
    ]


def scope_path_of(model):
    path = getattr(model, "scope", None)
    if not isinstance(path, ScopePath):
        raise TypeError(f"{model._meta.label} declares no scope = ScopePath(...); its visible_to cannot be derived.")
    return path


class ScopedQuerySet(models.QuerySet):
    """The queryset of a scoped model: ``visible_to`` is its declaration applied to the user's scope."""

    def visible_to(self, user):
        """The rows ``user`` may see: ``scope_for(user)`` through the model's ``scope`` declaration."""
        return self.in_scope(scope_for(user))

    def in_scope(self, scope):
        """The rows a resolved ``scope`` reaches."""
        condition = scope_path_of(self.model).condition(scope)
        if condition is None:
            return self.none()
        return self.filter(condition) if condition else self.all()
