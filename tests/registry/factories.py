"""factory_boy factories of the registry: institutions (taken to their status through the lifecycle
services), classes, registrations (through ``registration_record``, or stored as-is with the deadline
they were counted with) and push windows."""

import datetime
from io import BytesIO

import factory
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from openpyxl import Workbook

from luchen_care.accounts.models import Authority, Role
from registry.imports import COLUMNS, DATA_SHEET
from registry.models import (
    ClassType,
    Institution,
    InstitutionClass,
    InstitutionKind,
    InstitutionStatus,
    Ownership,
    PushWindowPolicy,
    Registration,
    RegistrationKind,
    RegistrationSource,
    Street,
)
from registry.selectors.policies import push_window_on
from registry.services.institutions import (
    institution_close,
    institution_mark_filed,
    institution_mark_operating,
    institution_suspend,
)
from registry.services.registrations import registration_record
from registry.validators import uscc_check_character
from tests.accounts.factories import UserFactory

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

    class Params:
        # A kindergarten's nursery class: public and not for profit (``InstitutionFactory(nursery_class=True)``).
        nursery_class = factory.Trait(kind=InstitutionKind.NURSERY_CLASS, ownership=Ownership.PUBLIC, for_profit=False)

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


class InstitutionClassFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = InstitutionClass

    institution = factory.SubFactory(InstitutionFactory)
    class_type = ClassType.TODDLER
    class_count = 1
    capacity = 15


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


class StoredRegistrationFactory(factory.django.DjangoModelFactory):
    """A registration row as it was stored: ``push_deadline`` (required) and ``push_deadline_provisional``
    as given, not counted again. For tests of the jobs and services that recount stored deadlines;
    a registration that is recorded goes through ``RegistrationFactory``."""

    class Meta:
        model = Registration

    institution = factory.SubFactory(InstitutionFactory)
    authority = Authority.MARKET_REGULATION
    registration_number = factory.Sequence(lambda n: f"R-STORED-{n:06d}")
    kind = RegistrationKind.NEW
    source = RegistrationSource.API
    push_rule = factory.LazyAttribute(lambda registration: push_window_on(registration.registered_on))


class PushWindowPolicyFactory(factory.django.DjangoModelFactory):
    """A push window row written as-is (tests of the rule in force); the admin saves through the service."""

    class Meta:
        model = PushWindowPolicy

    effective_from = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=1))
    working_days = 5
    legal_source = "测试文件〔2026〕1号"


def registration_workbook(rows, name="registrations.xlsx"):
    """An upload of the registration import: the template's header row, then ``rows`` (cell values)."""
    wb = Workbook()
    ws = wb.active
    ws.title = DATA_SHEET
    ws.append([header for _n, header, _w, _note in COLUMNS])
    for values in rows:
        ws.append(values)
    buffer = BytesIO()
    wb.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())


def registration_rows(count, *, number_prefix, name_prefix, check_letter="A"):
    """``count`` rows of new registrations of the market regulator, as a user fills the template in."""
    rows = []
    for n in range(count):
        body = f"91330302{n:09d}{check_letter}"[:17]
        rows.append(["市场监管局", f"{number_prefix}{n:06d}", datetime.date(2026, 2, 13), "新设登记",
                     body + uscc_check_character(body), f"{name_prefix}{n}号", "五马街道", "温州市鹿城区解放街1号",
                     "王晓燕", ""])  # fmt: skip
    return rows
