"""factory_boy factories shared by the test suite."""

import factory

from luchen_care.accounts.models import Authority, Role, User
from registry.models import (
    ClassType,
    Institution,
    InstitutionClass,
    InstitutionKind,
    InstitutionStatus,
    Ownership,
    Street,
)
from registry.validators import uscc_check_character


def make_credit_code(n, first="9", second="1"):
    body = f"{first}{second}330302{n:09d}"
    return body + uscc_check_character(body)


def street(code="330302006"):
    return Street.objects.get(code=code)


class InstitutionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Institution

    name = factory.Sequence(lambda n: f"测试托育机构{n}号")
    credit_code = factory.Sequence(lambda n: make_credit_code(n + 1))
    kind = InstitutionKind.STANDALONE
    ownership = Ownership.PRIVATE
    for_profit = True
    registration_authority = Authority.MARKET_REGULATION
    street = factory.LazyFunction(street)
    address = "温州市鹿城区解放街1号"
    legal_representative = "王晓燕"
    contact_phone = "13800000000"
    approved_places = 50
    status = InstitutionStatus.OPERATING


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.PostGenerationMethodCall("set_password", "pw-Lucheng-2026")
    is_staff = True
    role = Role.HEALTH_BUREAU

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class InstitutionClassFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = InstitutionClass

    institution = factory.SubFactory(InstitutionFactory)
    class_type = ClassType.TODDLER
    class_count = 1
    capacity = 15
