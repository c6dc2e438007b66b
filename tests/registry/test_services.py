"""Registry services: what creating, changing and closing an institution does to the world."""

import datetime
import itertools
import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone

from luchen_care.accounts.models import Role
from registry.models import ClassType, Institution, InstitutionClass, InstitutionKind, InstitutionStatus, Ownership
from registry.services.institutions import (
    INSTITUTION_TRANSITIONS,
    institution_close,
    institution_create,
    institution_mark_filed,
    institution_mark_operating,
    institution_resume,
    institution_save,
    institution_set_classes,
    institution_suspend,
    institution_update,
)
from tests.factories import InstitutionFactory, UserFactory, make_credit_code, street

pytestmark = pytest.mark.django_db
S = InstitutionStatus


def fields(**overrides):
    data = {
        "name": "温州市鹿城区向日葵托育有限公司",
        "credit_code": make_credit_code(500001),
        "kind": InstitutionKind.STANDALONE,
        "ownership": Ownership.PRIVATE,
        "for_profit": True,
        "street": street(),
        "address": "温州市鹿城区五马街道蝉街3号",
        "legal_representative": "周建华",
        "contact_phone": "13612345678",
        "approved_places": 35,
    }
    data.update(overrides)
    return data


# --- create ---------------------------------------------------------------------------------


def test_create_registers_with_its_classes_and_names_the_actor(health_user):
    classes = [
        {"class_type": ClassType.INFANT, "class_count": 1, "capacity": 10},
        {"class_type": ClassType.TODDLER, "class_count": 1, "capacity": 15},
    ]

    inst = institution_create(actor=health_user, classes=classes, **fields())

    inst.refresh_from_db()
    assert inst.status == S.REGISTERED
    assert inst.registered_on == timezone.localdate()
    assert inst.created_by == health_user and inst.modified_by == health_user
    assert inst.total_capacity == 25
    record = inst.history.get()
    assert record.history_type == "+"
    assert record.history_user == health_user


def test_create_stores_the_credit_code_in_capitals(health_user):
    code = make_credit_code(500002, first="Y", second="1")
    inst = institution_create(actor=health_user, **fields(credit_code=f"  {code.lower()} "))
    assert Institution.objects.get(pk=inst.pk).credit_code == code


def test_create_refuses_an_invalid_credit_code_and_saves_nothing(health_user):
    good = make_credit_code(500003)
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    with pytest.raises(ValidationError) as info:
        institution_create(actor=health_user, classes=[], **fields(credit_code=bad))
    assert list(info.value.message_dict) == ["credit_code"]
    assert not Institution.objects.exists()


def test_a_class_error_undoes_the_whole_registration(health_user):
    classes = [{"class_type": ClassType.INFANT, "class_count": 1, "capacity": 10}, {"class_type": "bogus"}]
    with pytest.raises(KeyError):
        institution_create(actor=health_user, classes=classes, **fields())
    assert not Institution.objects.exists()
    assert not InstitutionClass.objects.exists()


@pytest.mark.parametrize(
    "role, kind, allowed",
    [
        (Role.HEALTH_BUREAU, InstitutionKind.STANDALONE, True),
        (Role.HEALTH_BUREAU, InstitutionKind.NURSERY_CLASS, True),
        (Role.EDUCATION_BUREAU, InstitutionKind.NURSERY_CLASS, True),
        (Role.EDUCATION_BUREAU, InstitutionKind.FAMILY, False),
        (Role.STREET_OFFICE, InstitutionKind.STANDALONE, False),
        (Role.INSTITUTION, InstitutionKind.STANDALONE, False),
        (Role.API_CLIENT, InstitutionKind.STANDALONE, False),
    ],
)
def test_only_the_data_owners_may_register(role, kind, allowed):
    extra = {"street": street()} if role == Role.STREET_OFFICE else {}
    if role == Role.INSTITUTION:
        extra = {"institution": InstitutionFactory()}
    actor = UserFactory(role=role, **extra)
    before = Institution.objects.count()

    if allowed:
        institution_create(actor=actor, **fields(kind=kind))
        assert Institution.objects.count() == before + 1
    else:
        with pytest.raises(PermissionDenied):
            institution_create(actor=actor, **fields(kind=kind))
        assert Institution.objects.count() == before


# --- update ---------------------------------------------------------------------------------


def test_update_changes_fields_and_history_names_the_actor(health_user, education_user):
    inst = InstitutionFactory(kind=InstitutionKind.NURSERY_CLASS, name="旧名", approved_places=20)

    institution_update(institution=inst, actor=education_user, name="新名", approved_places=25)

    inst.refresh_from_db()
    assert (inst.name, inst.approved_places, inst.modified_by) == ("新名", 25, education_user)
    record = inst.history.latest()
    assert record.history_user == education_user
    assert {c.field for c in record.diff_against(record.prev_record).changes} >= {"name", "approved_places"}


def test_the_education_bureau_cannot_change_a_nursery_class_into_another_kind(education_user):
    inst = InstitutionFactory(kind=InstitutionKind.NURSERY_CLASS)
    with pytest.raises(PermissionDenied):
        institution_update(institution=inst, actor=education_user, kind=InstitutionKind.STANDALONE)
    assert Institution.objects.get(pk=inst.pk).kind == InstitutionKind.NURSERY_CLASS


def test_set_classes_makes_them_exactly_the_given_ones(health_user):
    inst = institution_create(
        actor=health_user,
        classes=[
            {"class_type": ClassType.INFANT, "class_count": 1, "capacity": 10},
            {"class_type": ClassType.TODDLER, "class_count": 1, "capacity": 15},
        ],
        **fields(),
    )

    institution_set_classes(
        institution=inst,
        classes=[
            {"class_type": ClassType.TODDLER, "class_count": 2, "capacity": 30},
            {"class_type": ClassType.OLDER, "class_count": 1, "capacity": 20},
        ],
    )

    assert sorted((c.class_type, c.class_count, c.capacity) for c in inst.classes.all()) == [
        ("older", 1, 20),
        ("toddler", 2, 30),
    ]


def test_a_head_office_cannot_be_the_institution_itself_or_a_branch(health_user):
    head = InstitutionFactory()
    branch = InstitutionFactory(head_office=head)
    other = InstitutionFactory()

    with pytest.raises(ValidationError) as info:
        institution_update(institution=head, actor=health_user, head_office=head)
    assert list(info.value.message_dict) == ["head_office"]
    with pytest.raises(ValidationError):
        institution_update(institution=other, actor=health_user, head_office=branch)
    with pytest.raises(ValidationError):
        institution_update(institution=Institution.objects.get(pk=head.pk), actor=health_user, head_office=other)

    head = Institution.objects.get(pk=head.pk)
    institution_update(institution=Institution.objects.get(pk=other.pk), actor=health_user, head_office=head)
    assert set(head.branches.all()) == {branch, other}


# --- status transitions (the whole table: tests/registry/test_lifecycle.py) ----------------------

STEP_FOR = {
    (S.REGISTERED, S.FILED): institution_mark_filed,
    (S.FILED, S.OPERATING): institution_mark_operating,
    (S.FILED, S.SUSPENDED): institution_suspend,
    (S.OPERATING, S.SUSPENDED): institution_suspend,
    (S.SUSPENDED, S.OPERATING): institution_resume,
}
STEP_INPUT = {"document_reference": "鹿卫备〔2026〕1号", "reason": "依申请"}


@pytest.mark.parametrize("old, new", list(itertools.permutations(S.values, 2)))
def test_transitions_follow_the_lifecycle(health_user, old, new):
    inst = InstitutionFactory(status=old)
    step = institution_close if new == S.CLOSED else STEP_FOR.get((S(old), S(new)))
    # A change never moves the status: only a step does.
    with pytest.raises((ValidationError, PermissionDenied)) as info:  # closed: no change at all
        institution_update(institution=Institution.objects.get(pk=inst.pk), actor=health_user, status=new)
    assert old == S.CLOSED or list(info.value.message_dict) == ["status"]
    if step is None:
        return  # no step leads from old to new (test_lifecycle refuses each step from each status)
    if old == S.CLOSED:
        with pytest.raises(ValidationError):
            step(institution=inst, actor=health_user, effective_on=timezone.localdate(), **STEP_INPUT)
        assert Institution.objects.get(pk=inst.pk).status == old
    else:
        step(institution=inst, actor=health_user, effective_on=timezone.localdate(), **STEP_INPUT)
        assert Institution.objects.get(pk=inst.pk).status == new


def test_the_lifecycle_has_each_expected_step():
    targets = {name: (set(t.sources), t.target) for name, t in INSTITUTION_TRANSITIONS.items()}
    assert targets["mark_filed"] == ({S.REGISTERED}, S.FILED)
    assert targets["suspend"] == ({S.FILED, S.OPERATING}, S.SUSPENDED)
    assert targets["resume"] == ({S.SUSPENDED}, S.OPERATING)
    assert S.CLOSED not in targets["close"][0]


def test_each_status_carries_its_date(health_user):
    inst = institution_create(actor=health_user, registered_on=datetime.date(2026, 3, 2), **fields())
    institution_mark_filed(institution=inst, actor=health_user, effective_on=datetime.date(2026, 3, 4), **STEP_INPUT)
    institution_mark_operating(institution=inst, actor=health_user, effective_on=timezone.localdate(), **STEP_INPUT)
    inst.refresh_from_db()
    assert inst.filed_on == datetime.date(2026, 3, 4)  # the date given
    assert inst.operating_since == timezone.localdate()


def test_a_second_suspension_is_dated_anew(health_user):
    inst = InstitutionFactory(
        status=S.SUSPENDED, operating_since=datetime.date(2023, 1, 2), suspended_on=datetime.date(2024, 6, 1)
    )
    institution_resume(institution=inst, actor=health_user)
    institution_suspend(institution=inst, actor=health_user, effective_on=timezone.localdate(), reason="再次整改")
    inst.refresh_from_db()
    assert inst.suspended_on == timezone.localdate()
    suspensions = sorted({r.suspended_on for r in inst.history.all()} - {None})
    assert suspensions == [datetime.date(2024, 6, 1), timezone.localdate()]  # the history keeps the first


# --- close ----------------------------------------------------------------------------------


def test_close_archives_and_keeps_everything(health_user):
    inst = institution_create(
        actor=health_user,
        classes=[{"class_type": ClassType.OLDER, "class_count": 1, "capacity": 20}],
        **fields(),
    )

    institution_close(institution=inst, actor=health_user, reason="注销登记，幼儿已妥善安置")

    inst.refresh_from_db()
    assert inst.status == S.CLOSED
    assert inst.closed_on == timezone.localdate()
    assert inst.archived and inst.archived_by == health_user
    assert inst.archived_reason == "注销登记，幼儿已妥善安置"
    assert inst.classes.count() == 1
    latest = inst.history.latest()
    assert latest.history_user == health_user
    assert latest.history_change_reason.endswith("注销登记，幼儿已妥善安置")  # after the step's name
    assert inst.history.count() == 2
    assert inst.transitions.get().comment == "注销登记，幼儿已妥善安置"


def test_a_closed_institution_can_no_longer_be_changed(health_user):
    inst = InstitutionFactory(operating_since=datetime.date(2025, 9, 1))
    rows = inst.history.count()
    institution_close(institution=inst, actor=health_user, reason="停办", effective_on=datetime.date(2026, 1, 5))

    inst = Institution.objects.get(pk=inst.pk)
    assert inst.closed_on == datetime.date(2026, 1, 5)
    inst.name = "改名"
    with pytest.raises(PermissionDenied):  # the actor's right to change ends with the record
        institution_save(institution=inst, actor=health_user)
    with pytest.raises(ValidationError):  # and even the system cannot reopen it
        institution_resume(institution=Institution.objects.get(pk=inst.pk), actor=None)
    assert Institution.objects.get(pk=inst.pk).name != "改名"
    assert inst.history.count() == rows + 1


def test_a_long_closing_reason_is_kept_whole_on_the_record(health_user):
    inst = InstitutionFactory()
    reason = "因场地租约到期且未能续租，举办者申请注销；" * 10
    institution_close(institution=inst, actor=health_user, reason=reason)
    inst.refresh_from_db()
    assert inst.archived_reason == reason
    label = INSTITUTION_TRANSITIONS["close"].label
    assert f"{label}: {reason}".startswith(inst.history.latest().history_change_reason)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_concurrent_change_cannot_reopen_an_institution_being_closed(health_user):
    """One officer closes a registered institution while another files it. The filing waits for the
    closure and is then refused; without the row lock it would overwrite the closure."""
    inst = InstitutionFactory(status=S.REGISTERED)
    started, finished = threading.Event(), threading.Event()
    outcome = {}

    def file_meanwhile():
        try:
            started.wait(10)
            institution_mark_filed(
                institution=Institution.objects.get(pk=inst.pk),
                actor=health_user,
                effective_on=timezone.localdate(),
                document_reference="鹿卫备〔2026〕2号",
                reason="纸质备案补录",
            )
            outcome["filed"] = True
        except (ValidationError, PermissionDenied) as exc:
            outcome["filed"] = exc
        finally:
            connection.close()
            finished.set()

    worker = threading.Thread(target=file_meanwhile)
    worker.start()
    with transaction.atomic():
        institution_close(institution=inst, actor=health_user, reason="注销")
        started.set()
        assert not finished.wait(1)  # the filing waits for the closure to commit
    worker.join(10)

    assert isinstance(outcome["filed"], ValidationError | PermissionDenied)  # refused: it is closed now
    inst.refresh_from_db()
    assert (inst.status, inst.archived) == (S.CLOSED, True)
    assert [r.status for r in inst.history.order_by("history_date")] == ["registered", "closed"]
