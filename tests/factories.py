"""factory_boy factories shared by the test suite: each app's own module, re-exported here.

New tests import from the app's module (``tests.registry.factories``,
``tests.accounts.factories``); ``from tests.factories import …`` keeps working.
"""

from tests.accounts.factories import UserFactory
from tests.registry.factories import (
    PATH_TO,
    InstitutionClassFactory,
    InstitutionFactory,
    PushWindowPolicyFactory,
    RegistrationFactory,
    make_credit_code,
    street,
)

__all__ = [
    "PATH_TO",
    "InstitutionClassFactory",
    "InstitutionFactory",
    "PushWindowPolicyFactory",
    "RegistrationFactory",
    "UserFactory",
    "make_credit_code",
    "street",
]
