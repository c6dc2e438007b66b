"""The shared admin base: history, version and revert pages obey the same scope and change
permission as the change page, on every admin (issue 6's holes, one test each)."""

import datetime
import re

import pytest
from django.contrib import admin
from django.core import checks
from django.urls import reverse
from django.utils import translation

from luchen_care.accounts.models import Authority, Role
from luchen_care.core.checks import admins_are_scoped
from luchen_care.workdays.models import WorkdayOverride
from luchen_care.workdays.services import workday_override_save
from registry.models import Registration, RegistrationSource, StreetPopulation
from registry.services.registrations import registration_record
from tests.factories import UserFactory, make_credit_code, street

pytestmark = pytest.mark.django_db

WUMA = "330302006"


@pytest.fixture
def civil_user(db):
    return UserFactory(username="civil", role=Role.REGISTRATION_AUTHORITY, authority=Authority.CIVIL_AFFAIRS)


@pytest.fixture
def market_registration(market_user):
    registration, _created = registration_record(
        actor=market_user,
        source=RegistrationSource.ADMIN,
        authority=Authority.MARKET_REGULATION,
        registration_number="330302MA0000ADM1",
        registered_on=datetime.date.today(),
        kind="new",
        credit_code=make_credit_code(880_001),
        institution_name="五马小树苗托育有限公司",
        street_code=WUMA,
        address="温州市鹿城区五马街道解放街88号",
        legal_representative="林秀英",
    )
    return registration


def as_user(client, user):
    client.force_login(user)
    return client


def typable_inputs(html):
    """The inputs a person could type into or choose from inside the page's main form."""
    form = html[html.index("<form", html.index('id="content"')) :]
    form = form[: form.index("</form>")]
    inputs = re.findall(r"<input\b[^>]*>", form)
    typable = [tag for tag in inputs if not re.search(r'type="(hidden|submit)"', tag)]
    return typable + re.findall(r"<(?:textarea|select)\b", form)


# --- reads of out-of-scope records ------------------------------------------------------------


def test_another_authoritys_registration_history_is_a_404_without_its_data(client, civil_user, market_registration):
    version = market_registration.history.get()
    office = as_user(client, civil_user)
    for url in (
        reverse("admin:registry_registration_history", args=[market_registration.pk]),
        reverse("admin:registry_registration_simple_history", args=[market_registration.pk, version.history_id]),
    ):
        response = office.get(url)
        assert response.status_code == 404, url
        body = response.content.decode()
        for value in ("林秀英", market_registration.registration_number, "五马小树苗托育有限公司"):
            assert value not in body


def test_the_owning_authority_reads_its_registrations_history(client, market_user, market_registration):
    version = market_registration.history.get()
    page = as_user(client, market_user).get(
        reverse("admin:registry_registration_simple_history", args=[market_registration.pk, version.history_id])
    )
    assert page.status_code == 200
    body = page.content.decode()
    assert "林秀英" in body
    assert typable_inputs(body) == []  # a registration is never reverted
    assert 'name="_save"' not in body


# --- writes by read-only roles ------------------------------------------------------------------


def test_a_street_office_cannot_revert_a_population_figure(client, health_user, wuma_user):
    population = StreetPopulation(street=street(WUMA), year=2021, population=100_000, source="统计年鉴")
    population.stamp(health_user)
    population.save()
    first = population.history.get()
    population.population = 120_000
    population.stamp(health_user)
    population.save()
    url = reverse("admin:registry_streetpopulation_simple_history", args=[population.pk, first.history_id])
    office = as_user(client, wuma_user)
    page = office.get(url)
    assert page.status_code == 200
    assert typable_inputs(page.content.decode()) == []
    response = office.post(url, {"street": population.street_id, "year": 2021, "population": 100_000, "source": "x"})
    assert response.status_code == 403
    population.refresh_from_db()
    assert population.population == 120_000 and population.modified_by == health_user
    assert population.history.count() == 2


def test_the_bureau_reverts_a_population_figure_through_the_service(client, health_user):
    population = StreetPopulation(street=street(WUMA), year=2021, population=100_000, source="统计年鉴")
    population.save()
    first = population.history.get()
    population.population = 120_000
    population.save()
    url = reverse("admin:registry_streetpopulation_simple_history", args=[population.pk, first.history_id])
    bureau = as_user(client, health_user)
    assert 'name="_save"' in bureau.get(url).content.decode()  # the Revert button
    data = {"street": population.street_id, "year": 2021, "population": 100_000, "source": "统计年鉴"}
    response = bureau.post(url, data)
    assert response.status_code == 302
    population.refresh_from_db()
    assert population.population == 100_000
    assert population.modified_by == health_user  # stamped by street_population_save
    assert population.history.latest().history_user == health_user


def test_a_street_office_cannot_revert_the_calendar(client, health_user, wuma_user, market_registration):
    day = market_registration.push_deadline
    override = workday_override_save(
        override=WorkdayOverride(date=day, is_working_day=True, reason="调休上班"), actor=health_user
    )
    first = override.history.get()
    override.reason = "调休上班（更正）"
    workday_override_save(override=override, actor=health_user)
    deadline = Registration.objects.get(pk=market_registration.pk).push_deadline
    url = reverse("admin:workdays_workdayoverride_simple_history", args=[override.pk, first.history_id])
    response = as_user(client, wuma_user).post(
        url, {"date": (day + datetime.timedelta(days=1)).isoformat(), "is_working_day": "", "reason": "台风"}
    )
    assert response.status_code == 403
    override.refresh_from_db()
    assert (override.date, override.is_working_day, override.reason) == (day, True, "调休上班（更正）")
    assert override.history.count() == 2
    assert Registration.objects.get(pk=market_registration.pk).push_deadline == deadline


def test_no_one_reverts_an_institution_or_a_registration(client, health_user, market_registration):
    bureau = as_user(client, health_user)
    institution = market_registration.institution
    version = institution.history.earliest()
    url = reverse("admin:registry_institution_simple_history", args=[institution.pk, version.history_id])
    page = bureau.get(url).content.decode()
    assert 'name="_save"' not in page and typable_inputs(page) == []
    assert bureau.post(url, {"name": "改名", "status": "closed"}).status_code == 403
    institution.refresh_from_db()
    assert institution.name == "五马小树苗托育有限公司"


# --- server errors ---------------------------------------------------------------------------------


def test_a_post_to_a_registrations_history_form_is_refused_not_a_500(client, health_user, market_registration):
    version = market_registration.history.get()
    url = reverse("admin:registry_registration_simple_history", args=[market_registration.pk, version.history_id])
    response = as_user(client, health_user).post(url, {"registration_number": "X"})
    assert response.status_code == 403
    assert Registration.objects.get(pk=market_registration.pk).registration_number == "330302MA0000ADM1"


@pytest.mark.parametrize(
    "path",
    [
        "/admin/registry/registration/abc/history/",
        "/admin/registry/registration/abc/history/1/",
        "/admin/registry/institution/abc/history/",
        "/admin/registry/streetpopulation/abc/history/",
        "/admin/workdays/workdayoverride/abc/history/",
        "/admin/exchange/pushdelivery/abc/history/",
        "/admin/registry/street/abc/history/",
        "/admin/registry/institution/abc/change/",
    ],
)
def test_a_malformed_id_in_an_admin_url_is_a_404(client, health_user, path):
    assert as_user(client, health_user).get(path).status_code == 404


def test_a_malformed_version_id_is_a_404(client, health_user, market_registration):
    url = f"/admin/registry/registration/{market_registration.pk}/history/abc/"
    assert as_user(client, health_user).get(url).status_code == 404


# --- the rule cannot be forgotten on a new model ----------------------------------------------------


def test_an_admin_not_built_on_the_scoped_base_stops_the_platform():
    class BareAdmin(admin.ModelAdmin):
        pass

    site_registry = admin.site._registry
    original = site_registry[WorkdayOverride]
    site_registry[WorkdayOverride] = BareAdmin(WorkdayOverride, admin.site)
    try:
        errors = admins_are_scoped()
    finally:
        site_registry[WorkdayOverride] = original
    assert [e.id for e in errors] == ["core.E001"]
    assert isinstance(errors[0], checks.Error)
    assert admins_are_scoped() == []


@pytest.mark.parametrize("action", ["suspend", "close"])
def test_an_action_on_a_malformed_id_is_refused_not_a_500(client, health_user, action):
    response = as_user(client, health_user).post(
        reverse("admin:registry_institution_changelist"),
        {"action": action, "_selected_action": ["abc"], "index": "0", "apply": "1"},
        follow=True,
    )
    assert response.status_code == 200
    with translation.override("zh-hans"):
        assert "所选编号无效，未作任何更改。" in [str(m) for m in response.context["messages"]]


@pytest.mark.parametrize(
    "url",
    [
        "/admin/registry/pushwindowpolicy/?effective_from__year=99999999999",
        "/admin/registry/filingdeadlinepolicy/?effective_from__year=99999999999",
        "/admin/registry/guidedfeepolicy/?effective_from__year=99999999999&effective_from__month=1",
        "/admin/registry/registration/?registered_on__year=99999999999",
    ],
)
def test_a_date_hierarchy_year_past_any_date_is_a_bad_lookup_not_a_500(client, health_user, url):
    client.force_login(health_user)
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].endswith("?e=1")
