"""factory_boy factories shared by the test suite."""

import factory
from django.utils import timezone

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
from registry.services import (
    institution_close,
    institution_mark_filed,
    institution_mark_operating,
    institution_suspend,
)
from registry.validators import uscc_check_character

# The steps that lead from *registered* to each status, and the date each one writes.
PATH_TO = {
    InstitutionStatus.REGISTERED: [],
    InstitutionStatus.FILED: [(institution_mark_filed, "filed_on")],
    InstitutionStatus.OPERATING: [
        (institution_mark_filed, "filed_on"),
        (institution_mark_operating, "operating_since"),
    ],
    InstitutionStatus.SUSPENDED: [
        (institution_mark_filed, "filed_on"),
        (institution_mark_operating, "operating_since"),
        (institution_suspend, "suspended_on"),
    ],
    InstitutionStatus.CLOSED: [(institution_close, "closed_on")],
}


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

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        """Registered as every institution is, then taken to ``status`` through the lifecycle services.

        A lifecycle date given (``operating_since=…``) is the date of that step; a step without
        one takes the date of the step before it, and the institution is registered on the
        earliest date given (today if none).
        """
        status = kwargs.pop("status")
        kwargs.pop("archived", None)  # closing archives
        dates = {name: kwargs.pop(name, None) for name in ("filed_on", "operating_since", "suspended_on", "closed_on")}
        given = [d for d in dates.values() if d is not None]
        if kwargs.get("registered_on") is None:
            kwargs["registered_on"] = min([*given, timezone.localdate()])
        institution = model_class(*args, **kwargs)
        institution.save()
        previous = institution.registered_on
        for service, date_field in PATH_TO[status]:
            effective_on = dates[date_field] or previous
            institution = service(
                institution=institution,
                actor=None,
                effective_on=effective_on,
                document_reference="测试文号",
                reason="测试数据",
            )
            previous = effective_on
        return institution


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
