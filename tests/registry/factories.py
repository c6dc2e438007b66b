"""factory_boy factories of the registry: registrations (through the service) and push windows.

``tests/factories.py`` re-exports them; the institution factories join this module once the
lifecycle work on them is committed.
"""

import datetime

import factory
from django.utils import timezone

from luchen_care.accounts.models import Authority, Role
from registry.models import PushWindowPolicy, Registration, RegistrationKind, RegistrationSource
from registry.registrations import registration_record
from tests.factories import UserFactory, make_credit_code

# Credit codes of registered institutions, apart from InstitutionFactory's (which count from 1).
_REGISTERED_CODES = 600_000_000


class RegistrationFactory(factory.Factory):
    """A registration recorded through ``registration_record``, as every way in records one.

    The keyword arguments are the service's input (``credit_code``, ``registered_on``, ...),
    plus ``actor`` (the health bureau by default; pass an authority's user to record as it)
    and ``source``. A new institution is registered with it unless ``credit_code`` is an
    existing one. Its deadline, push window and outbox rows are the service's.
    """

    class Meta:
        model = Registration

    actor = factory.LazyFunction(lambda: UserFactory(role=Role.HEALTH_BUREAU))
    source = RegistrationSource.API
    authority = Authority.MARKET_REGULATION
    registration_number = factory.Sequence(lambda n: f"330302MA{n:010d}")
    registered_on = factory.LazyFunction(timezone.localdate)
    kind = RegistrationKind.NEW
    credit_code = factory.Sequence(lambda n: make_credit_code(_REGISTERED_CODES + n))
    institution_name = factory.Sequence(lambda n: f"鹿城区登记托育中心{n}号")
    street_code = "330302006"
    address = "温州市鹿城区五马街道解放街1号"
    legal_representative = "王晓燕"

    @classmethod
    def _create(cls, model_class, *, actor, source, **fields):
        registration, _created = registration_record(actor=actor, source=source, **fields)
        return registration

    @classmethod
    def _build(cls, model_class, **kwargs):
        raise TypeError("RegistrationFactory only creates: a registration exists once registration_record records it.")


class PushWindowPolicyFactory(factory.django.DjangoModelFactory):
    """A push window row written as-is (tests of the rule in force); the admin saves through the service."""

    class Meta:
        model = PushWindowPolicy

    effective_from = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=1))
    working_days = 5
    legal_source = "测试文件〔2026〕1号"
