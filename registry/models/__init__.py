"""The institution registry's models, one module per entity (Django looks for them here)."""

from .documents import InstitutionDocument
from .institutions import (
    STATUS_DATE_FIELD,
    ClassType,
    DemonstrationLevel,
    Institution,
    InstitutionClass,
    InstitutionKind,
    InstitutionQuerySet,
    InstitutionStatus,
    InstitutionStep,
    InstitutionTransition,
    Ownership,
)
from .policies import PushWindowPolicy
from .registrations import (
    PUSH_TIMEZONE,
    DigestRun,
    InboxEntry,
    PushStatus,
    Registration,
    RegistrationKind,
    RegistrationQuerySet,
    RegistrationSource,
)
from .signups import PortalSignup, SignupState, SignupStep
from .streets import Street, StreetPopulation

__all__ = [
    "PUSH_TIMEZONE",
    "STATUS_DATE_FIELD",
    "ClassType",
    "DemonstrationLevel",
    "DigestRun",
    "InboxEntry",
    "Institution",
    "InstitutionDocument",
    "InstitutionClass",
    "InstitutionKind",
    "InstitutionQuerySet",
    "InstitutionStatus",
    "InstitutionStep",
    "InstitutionTransition",
    "Ownership",
    "PortalSignup",
    "PushStatus",
    "PushWindowPolicy",
    "Registration",
    "RegistrationKind",
    "RegistrationQuerySet",
    "RegistrationSource",
    "SignupState",
    "SignupStep",
    "Street",
    "StreetPopulation",
]
