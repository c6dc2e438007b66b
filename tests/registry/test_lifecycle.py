"""The institution lifecycle: registered → filed → operating ⇄ suspended, and closing from any of them.

Each step through its three faces (the service, the API endpoint, the admin action); every refused
step changes nothing; the status and its dates are read-only everywhere else.
"""

import datetime
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone, translation
from rest_framework.test import APIClient

from registry.models import Institution, InstitutionKind, InstitutionStatus, InstitutionTransition
from registry.services.institutions import (
    INSTITUTION_TRANSITIONS,
    institution_close,
    institution_mark_filed,
    institution_mark_operating,
    institution_resume,
    institution_suspend,
    institution_update,
)
from tests.accounts.factories import api_token
from tests.factories import InstitutionFactory

pytestmark = pytest.mark.django_db

S = InstitutionStatus
TODAY = timezone.localdate
D = datetime.date
CHANGELIST = reverse("admin:registry_institution_changelist")

# step → (service, the status it starts from in these tests, its target, the date field it writes)
STEPS = {
    "mark_filed": (institution_mark_filed, S.REGISTERED, S.FILED, "filed_on"),
    "mark_operating": (institution_mark_operating, S.FILED, S.OPERATING, "operating_since"),
    "suspend": (institution_suspend, S.OPERATING, S.SUSPENDED, "suspended_on"),
    "resume": (institution_resume, S.SUSPENDED, S.OPERATING, "operating_since"),
    "close": (institution_close, S.OPERATING, S.CLOSED, "closed_on"),
}
# The hand-written lifecycle: from each status, the steps that are allowed.
ALLOWED_FROM = {
    S.REGISTERED: {"mark_filed", "close"},
    S.FILED: {"mark_operating", "suspend", "close"},
    S.OPERATING: {"suspend", "close"},
    S.SUSPENDED: {"resume", "close"},
    S.CLOSED: set(),
}
EARLY = D(2024, 3, 1)


def step_input(**overrides):
    return {
        "effective_on": D(2025, 6, 2),
        "document_reference": "鹿卫备〔2025〕12号",
        "reason": "纸质备案补录",
        **overrides,
    }


def snapshot(inst):
    return (
        list(Institution.objects.filter(pk=inst.pk).values()),
        inst.history.count(),
        InstitutionTransition.objects.filter(institution=inst).count(),
    )


def token_client(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(user)}")
    return client


def url(inst, step):
    return f"/api/v1/institutions/{inst.pk}/{step.replace('_', '-')}/"


# --- the table ------------------------------------------------------------------------------------


def test_the_table_names_each_step_with_its_sources_and_target():
    table = {name: (set(t.sources), t.target) for name, t in INSTITUTION_TRANSITIONS.items()}
    assert table == {
        "mark_filed": ({S.REGISTERED}, S.FILED),
        "mark_operating": ({S.FILED}, S.OPERATING),
        "suspend": ({S.FILED, S.OPERATING}, S.SUSPENDED),
        "resume": ({S.SUSPENDED}, S.OPERATING),
        "close": ({S.REGISTERED, S.FILED, S.OPERATING, S.SUSPENDED}, S.CLOSED),
    }
    for name, (service, *_rest) in STEPS.items():
        assert service.transition is INSTITUTION_TRANSITIONS[name]
        assert service.__doc__ and len(service.__doc__) > 60  # says what it changes in the world


# --- the service ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(STEPS))
def test_each_step_moves_the_status_dates_it_and_records_who_when_and_why(name, health_user):
    service, source, target, date_field = STEPS[name]
    inst = InstitutionFactory(status=source, registered_on=EARLY, filed_on=EARLY, operating_since=EARLY)
    rows_before = inst.history.count()

    done = service(institution=inst, actor=health_user, **step_input())

    inst.refresh_from_db()
    assert done.status == inst.status == target
    assert getattr(inst, date_field) == D(2025, 6, 2)
    assert inst.modified_by == health_user
    step = inst.transitions.get(name=name)
    assert (step.source, step.target, step.effective_on) == (source, target, D(2025, 6, 2))
    assert (step.document_reference, step.comment, step.actor) == ("鹿卫备〔2025〕12号", "纸质备案补录", health_user)
    assert abs((timezone.now() - step.recorded_at).total_seconds()) < 60
    latest = inst.history.latest()
    assert inst.history.count() == rows_before + 1
    assert latest.history_user == health_user and latest.status == target
    assert latest.history_change_reason.startswith(str(INSTITUTION_TRANSITIONS[name].label))


@pytest.mark.parametrize("status", list(ALLOWED_FROM))
@pytest.mark.parametrize("name", list(STEPS))
def test_a_step_from_a_status_it_does_not_start_from_is_refused_on_status(name, status, health_user):
    if name in ALLOWED_FROM[status]:
        return  # covered by the test above and by test_the_whole_lifecycle
    inst = InstitutionFactory(status=status, registered_on=EARLY)
    before = snapshot(inst)
    service = STEPS[name][0]

    with pytest.raises(ValidationError) as info:
        service(institution=inst, actor=health_user, **step_input())

    assert list(info.value.message_dict) == ["status"]
    with translation.override("zh-hans"):
        assert str(S(status).label) in info.value.message_dict["status"][0]
    assert snapshot(inst) == before


def test_a_closed_institution_cannot_be_suspended(health_user):
    inst = InstitutionFactory(status=S.CLOSED)
    with translation.override("en"), pytest.raises(ValidationError) as info:
        institution_suspend(institution=inst, actor=health_user, **step_input(effective_on=TODAY()))
    assert info.value.message_dict["status"] == ["A “Closed” institution cannot be suspended."]


def test_the_whole_lifecycle_and_its_log(health_user):
    inst = InstitutionFactory(status=S.REGISTERED, registered_on=D(2024, 1, 8))
    institution_mark_filed(institution=inst, actor=health_user, **step_input(effective_on=D(2024, 2, 1)))
    institution_mark_operating(institution=inst, actor=health_user, **step_input(effective_on=D(2024, 3, 1)))
    institution_suspend(institution=inst, actor=health_user, effective_on=D(2024, 9, 2), reason="整改")
    institution_resume(institution=inst, actor=health_user, effective_on=D(2024, 10, 8))
    institution_close(institution=inst, actor=health_user, reason="注销登记，幼儿已转入五马阳光托育园")

    inst.refresh_from_db()
    assert (inst.status, inst.archived, inst.archived_by) == (S.CLOSED, True, health_user)
    assert inst.archived_reason == "注销登记，幼儿已转入五马阳光托育园"
    assert (inst.filed_on, inst.suspended_on, inst.operating_since, inst.closed_on) == (
        D(2024, 2, 1),
        D(2024, 9, 2),
        D(2024, 10, 8),
        TODAY(),
    )
    assert [(t.name, t.source, t.target) for t in inst.transitions.all()] == [
        ("mark_filed", "registered", "filed"),
        ("mark_operating", "filed", "operating"),
        ("suspend", "operating", "suspended"),
        ("resume", "suspended", "operating"),
        ("close", "operating", "closed"),
    ]
    assert [r.status for r in inst.history.order_by("history_date")] == [
        "registered",
        "filed",
        "operating",
        "suspended",
        "operating",
        "closed",
    ]


@pytest.mark.parametrize(
    "name, missing",
    [
        ("mark_filed", "effective_on"),
        ("mark_filed", "document_reference"),
        ("mark_filed", "reason"),
        ("mark_operating", "document_reference"),
        ("suspend", "reason"),
        ("close", "reason"),
    ],
)
def test_a_required_input_is_asked_for_by_name(name, missing, health_user):
    service, source, *_rest = STEPS[name]
    inst = InstitutionFactory(status=source, registered_on=EARLY)
    before = snapshot(inst)
    with pytest.raises(ValidationError) as info:
        service(
            institution=inst, actor=health_user, **step_input(**{missing: None if missing == "effective_on" else "  "})
        )
    assert list(info.value.message_dict) == [missing]
    assert snapshot(inst) == before


def test_a_step_is_not_dated_in_the_future_nor_before_the_current_status_began(health_user):
    inst = InstitutionFactory(status=S.REGISTERED, registered_on=D(2025, 1, 6))
    before = snapshot(inst)
    for effective_on in (TODAY() + datetime.timedelta(days=1), D(2025, 1, 5)):
        with pytest.raises(ValidationError) as info:
            institution_mark_filed(institution=inst, actor=health_user, **step_input(effective_on=effective_on))
        assert list(info.value.message_dict) == ["effective_on"]
    assert snapshot(inst) == before


def test_only_the_data_owners_take_an_institution_through_its_lifecycle(
    health_user, education_user, wuma_user, market_user
):
    standalone = InstitutionFactory(status=S.OPERATING)
    nursery = InstitutionFactory(status=S.OPERATING, kind=InstitutionKind.NURSERY_CLASS)
    for actor, inst in ((education_user, standalone), (wuma_user, standalone), (market_user, nursery)):
        before = snapshot(inst)
        with pytest.raises(PermissionDenied):
            institution_suspend(institution=inst, actor=actor, effective_on=TODAY(), reason="整改")
        assert snapshot(inst) == before
    institution_suspend(institution=nursery, actor=education_user, effective_on=TODAY(), reason="整改")
    assert Institution.objects.get(pk=nursery.pk).status == S.SUSPENDED


def test_a_change_cannot_write_the_status_or_its_dates(health_user):
    inst = InstitutionFactory(status=S.REGISTERED)
    before = snapshot(inst)
    for fields in ({"status": S.FILED}, {"filed_on": D(2025, 1, 1)}, {"closed_on": D(2025, 1, 1)}):
        with pytest.raises(ValidationError) as info:
            institution_update(institution=Institution.objects.get(pk=inst.pk), actor=health_user, **fields)
        assert list(info.value.message_dict) == list(fields)
    assert snapshot(inst) == before


def test_a_closed_institution_is_archived_and_read_only(health_user):
    inst = InstitutionFactory(status=S.OPERATING)
    institution_close(institution=inst, actor=health_user, reason="停办，幼儿已妥善安置")
    before = snapshot(inst)
    with pytest.raises((ValidationError, PermissionDenied)):
        institution_update(institution=Institution.objects.get(pk=inst.pk), actor=health_user, name="改名")
    for service in (institution_resume, institution_suspend, institution_close, institution_mark_filed):
        with pytest.raises(ValidationError) as info:
            service(institution=inst, actor=health_user, **step_input(effective_on=TODAY()))
        assert list(info.value.message_dict) == ["status"]
    assert snapshot(inst) == before


# --- the API --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(STEPS))
def test_each_step_has_its_endpoint(name, health_user):
    _service, source, target, date_field = STEPS[name]
    inst = InstitutionFactory(status=source, registered_on=EARLY, filed_on=EARLY, operating_since=EARLY)
    body = {"effective_on": "2025-06-02", "document_reference": "鹿卫〔2025〕3号", "reason": "依申请"}

    response = token_client(health_user).post(url(inst, name), body, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["status"] == target and response.json()[date_field] == "2025-06-02"
    step = Institution.objects.get(pk=inst.pk).transitions.get(name=name)
    assert (step.actor, step.document_reference, step.comment) == (health_user, "鹿卫〔2025〕3号", "依申请")


def test_a_step_from_the_wrong_status_is_a_400_on_status_and_changes_nothing(health_user):
    inst = InstitutionFactory(status=S.CLOSED)
    before = snapshot(inst)
    response = token_client(health_user).post(
        url(inst, "suspend"), {"effective_on": TODAY().isoformat(), "reason": "整改"}, format="json"
    )
    assert response.status_code == 400, response.content
    assert list(response.json()["error"]["fields"]) == ["status"]
    assert snapshot(inst) == before


def test_a_body_without_a_required_field_is_a_400_naming_it(health_user):
    inst = InstitutionFactory(status=S.OPERATING)
    before = snapshot(inst)
    response = token_client(health_user).post(url(inst, "close"), {}, format="json")
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["reason"]
    response = token_client(health_user).post(url(inst, "mark_filed"), {"effective_on": "soon"}, format="json")
    assert set(response.json()["error"]["fields"]) == {"effective_on", "document_reference", "reason"}
    assert snapshot(inst) == before


def test_read_only_roles_get_403_and_out_of_scope_records_404(wuma_user, education_user, api_user):
    own = InstitutionFactory(status=S.OPERATING)  # in 五马, the street office's own street
    body = {"effective_on": TODAY().isoformat(), "reason": "整改"}
    before = snapshot(own)
    assert token_client(wuma_user).post(url(own, "suspend"), body, format="json").status_code == 403
    assert token_client(education_user).post(url(own, "suspend"), body, format="json").status_code == 404
    assert token_client(api_user).post(url(own, "suspend"), body, format="json").status_code in (403, 404)
    assert snapshot(own) == before


@pytest.mark.parametrize(
    "field, value",
    [
        ("status", "filed"),
        ("filed_on", "2025-01-01"),
        ("operating_since", "2025-01-01"),
        ("suspended_on", "2025-01-01"),
        ("closed_on", "2025-01-01"),
        ("registered_on", "2025-01-01"),
    ],
)
def test_a_patch_of_the_status_or_a_lifecycle_date_is_a_400_naming_it_and_changes_nothing(field, value, health_user):
    inst = InstitutionFactory(status=S.REGISTERED)
    before = snapshot(inst)
    response = token_client(health_user).patch(
        f"/api/v1/institutions/{inst.pk}/", {field: value, "name": "改名"}, format="json"
    )
    assert response.status_code == 400, response.content
    assert list(response.json()["error"]["fields"]) == [field]
    assert snapshot(inst) == before


def test_a_create_sending_a_status_is_a_400_naming_it(health_user):
    from tests.registry.test_api import new_institution  # noqa: PLC0415

    count = Institution.objects.count()
    response = token_client(health_user).post(
        "/api/v1/institutions/", new_institution(status="operating"), format="json"
    )
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["status"]
    assert Institution.objects.count() == count
    created = token_client(health_user).post("/api/v1/institutions/", new_institution(), format="json")
    assert created.status_code == 201 and created.json()["status"] == "registered"


def test_the_schema_documents_the_endpoints_and_a_read_only_status(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    for step in ("mark-filed", "mark-operating", "suspend", "resume", "close"):
        operation = schema["paths"][f"/api/v1/institutions/{{id}}/{step}/"]["post"]
        assert {"200", "400", "403", "404"} <= set(operation["responses"])
    requests = schema["components"]["schemas"]
    assert "status" not in requests["InstitutionRequest"]["properties"]
    assert "status" not in requests["PatchedInstitutionRequest"]["properties"]
    assert requests["CloseRequest"]["required"] == ["reason"]


# --- the admin ------------------------------------------------------------------------------------


def action_post(client, name, institutions, **step):
    data = {"action": name, "_selected_action": [i.pk for i in institutions]}
    if step:
        data.update({"apply": "1", **step})
    return client.post(CHANGELIST, data)


def test_an_admin_action_asks_its_date_document_and_reason_first(admin_client_for, health_user):
    inst = InstitutionFactory(status=S.REGISTERED, name="瓯江托育")
    before = snapshot(inst)
    page = action_post(admin_client_for(health_user), "mark_filed", [inst])
    assert page.status_code == 200
    body = page.content.decode()
    assert 'id="lifecycle-step-form"' in body and "瓯江托育" in body
    assert 'name="document_reference"' in body and 'name="effective_on"' in body
    assert snapshot(inst) == before


@pytest.mark.parametrize("name", list(STEPS))
def test_each_step_is_an_admin_action(name, admin_client_for, health_user):
    _service, source, target, date_field = STEPS[name]
    first = InstitutionFactory(status=source, registered_on=EARLY, filed_on=EARLY, operating_since=EARLY)
    second = InstitutionFactory(status=source, registered_on=EARLY, filed_on=EARLY, operating_since=EARLY)

    response = action_post(
        admin_client_for(health_user),
        name,
        [first, second],
        effective_on="2025-06-02",
        document_reference="鹿卫〔2025〕9号",
        reason="经核查",
    )

    assert response.status_code == 302
    for inst in (first, second):
        inst.refresh_from_db()
        assert inst.status == target and getattr(inst, date_field) == D(2025, 6, 2)
        assert inst.transitions.get(name=name).actor == health_user


def test_an_admin_action_refused_for_one_record_changes_none(admin_client_for, health_user):
    good = InstitutionFactory(status=S.OPERATING)
    closed = InstitutionFactory(status=S.CLOSED, name="已停办的托育园")
    before = (snapshot(good), snapshot(closed))
    client = admin_client_for(health_user)

    response = action_post(client, "suspend", [good, closed], effective_on=TODAY().isoformat(), reason="整改")

    assert response.status_code == 302
    assert (snapshot(good), snapshot(closed)) == before
    shown = client.get(CHANGELIST).content.decode()
    assert "已停办的托育园" in shown


def test_a_missing_reason_shows_the_page_again_with_the_error(admin_client_for, health_user):
    inst = InstitutionFactory(status=S.OPERATING)
    before = snapshot(inst)
    response = action_post(admin_client_for(health_user), "close", [inst], effective_on=TODAY().isoformat(), reason="")
    assert response.status_code == 200
    assert response.context["form"].errors.keys() == {"reason"}
    assert snapshot(inst) == before


def test_the_actions_are_offered_only_to_those_who_may_take_the_steps(
    admin_client_for, health_user, education_user, wuma_user
):
    nursery = InstitutionFactory(status=S.OPERATING, kind=InstitutionKind.NURSERY_CLASS)
    for user, offered in ((health_user, True), (education_user, True), (wuma_user, False)):
        page = admin_client_for(user).get(CHANGELIST)
        assert page.status_code == 200
        action_form = page.context.get("action_form")
        choices = dict(action_form.fields["action"].choices) if action_form else {}
        assert ("suspend" in choices) is offered, user
    # A street office posting the action anyway changes nothing.
    before = snapshot(nursery)
    response = action_post(
        admin_client_for(wuma_user), "suspend", [nursery], effective_on=TODAY().isoformat(), reason="x"
    )
    assert response.status_code in (200, 302, 403)
    assert snapshot(nursery) == before


def test_the_education_bureau_cannot_reach_another_kind_through_an_action(admin_client_for, education_user):
    standalone = InstitutionFactory(status=S.OPERATING)
    before = snapshot(standalone)
    action_post(admin_client_for(education_user), "suspend", [standalone], effective_on=TODAY().isoformat(), reason="x")
    assert snapshot(standalone) == before


def test_the_status_and_dates_are_read_only_in_the_admin_and_the_steps_are_shown(admin_client_for, health_user):
    inst = InstitutionFactory(status=S.REGISTERED, name="小橡树托育", registered_on=EARLY)
    institution_mark_filed(institution=inst, actor=health_user, **step_input())
    client = admin_client_for(health_user)
    change = reverse("admin:registry_institution_change", args=[inst.pk])
    page = client.get(change)
    form = page.context["adminform"].form
    assert not {"status", "registered_on", "filed_on", "operating_since", "suspended_on", "closed_on"} & set(
        form.fields
    )
    assert "鹿卫备〔2025〕12号" in page.content.decode()  # the step log on the change page
    history = client.get(reverse("admin:registry_institution_history", args=[inst.pk])).content.decode()
    assert "鹿卫备〔2025〕12号" in history and "纸质备案补录" in history


def test_the_add_form_registers_with_a_date_and_no_status(admin_client_for, health_user):
    add = admin_client_for(health_user).get(reverse("admin:registry_institution_add"))
    fields = set(add.context["adminform"].form.fields)
    assert "registered_on" in fields and "status" not in fields


def test_a_user_with_a_closed_institution_selected_gets_a_clear_message(admin_client_for, health_user):
    closed = InstitutionFactory(status=S.CLOSED)
    client = admin_client_for(health_user)
    response = client.post(
        CHANGELIST,
        {"action": "resume", "_selected_action": [closed.pk], "apply": "1", "effective_on": TODAY().isoformat()},
        follow=True,
    )
    messages = [str(m) for m in response.context["messages"]]
    assert any(str(closed) in m for m in messages), messages


def test_a_factory_institution_came_through_the_steps():
    inst = InstitutionFactory(status=S.SUSPENDED, operating_since=D(2024, 5, 6))
    assert [t.name for t in inst.transitions.all()] == ["mark_filed", "mark_operating", "suspend"]
    assert inst.operating_since == D(2024, 5, 6)


# --- the demo ---------------------------------------------------------------------------------------


def test_the_demo_takes_its_institutions_through_the_steps_once(settings):
    """``manage.py demo`` records each institution's filing, opening and suspension through the services
    (by its county's health-bureau demo user, so the history shows them); a second run records nothing more."""
    from django.core.management import call_command  # noqa: PLC0415

    settings.DEBUG = True  # the demo is for a development configuration
    call_command("demo", stdout=io.StringIO())
    operating = Institution.objects.filter(status=S.OPERATING)
    assert operating.exists() and Institution.objects.filter(status=S.REGISTERED).exists()
    for inst in operating:
        steps = list(inst.transitions.values_list("name", "actor__username"))
        bureau = "longwan" if inst.street.county.code == "330303" else "health"
        assert steps[:2] == [("mark_filed", bureau), ("mark_operating", bureau)]
        assert inst.status_since == inst.transitions.last().effective_on
        statuses = list(inst.history.order_by("history_date").values_list("status", flat=True))
        assert statuses[0] == "registered" and "filed" in statuses
    suspended = Institution.objects.filter(status=S.SUSPENDED).first()
    if suspended is not None:
        assert suspended.transitions.last().name == "suspend"
    before = (InstitutionTransition.objects.count(), Institution.history.count())

    call_command("demo", stdout=io.StringIO())

    assert (InstitutionTransition.objects.count(), Institution.history.count()) == before
