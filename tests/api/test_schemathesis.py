"""Schema-driven requests (schemathesis) against the running API, as three callers.

Every operation of ``/api/schema/`` goes through schemathesis's phases (the schema's
examples, boundary coverage, fuzzing with valid and invalid data, stateful links) as the
health bureau, a street office and an anonymous caller, against pytest-django's
``live_server``. All of schemathesis's checks apply: no 5xx; every status, content type,
header and body as documented; invalid data refused; valid data accepted. A business
rule's 400 (a credit code's check character, a date before the rules) is documented in the
schema, and is judged by the checks like any other answer.

Hypothesis's example counts are bounded (``MAX_EXAMPLES``) so the three runs take a few
minutes at most. The coverage phase (boundary and invalid values of every parameter and body
field, about 1,600 requests and 90 % of a run's time) runs for the health bureau and the anonymous
caller; the street office's run keeps the other phases: its refusals of invalid input are the same
code as the bureau's, and what differs for it, its scope, is in the data the other phases send.
Each run prints its figures. About two thirds of an authenticated run's requests answer 401, as they
must: schemathesis's ``ignored_auth`` check sends each request again without the token and with an
invalid one (``SCHEMATHESIS-INVALID-VALUE``) to show the API refuses them.
"""

import datetime

import pytest
import schemathesis
from rest_framework.throttling import SimpleRateThrottle
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import events
from schemathesis.engine.statistic import Statistic

from luchen_care.accounts.models import Authority, Role
from registry.models import InstitutionKind, RegistrationKind, RegistrationSource
from registry.services.registrations import registration_record
from tests.accounts.factories import api_token
from tests.factories import InstitutionFactory, UserFactory, make_credit_code, street

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

MAX_EXAMPLES = 4
PHASES = ("examples", "coverage", "fuzzing", "stateful")  # schemathesis's, in the order it runs them
ACCEPTED = ["2xx", "3xx", "401", "403", "404", "409", "429"]  # schemathesis's default, without 5xx


@pytest.fixture
def world(db):
    """A few records in and out of a street office's scope, and the users who call."""
    market = UserFactory(username="st-market", role=Role.REGISTRATION_AUTHORITY, authority=Authority.MARKET_REGULATION)
    head = InstitutionFactory(name="五马贝乐托育", street=street("330302006"))
    InstitutionFactory(name="七都贝乐分园", street=street("330302023"), head_office=head)
    InstitutionFactory(name="滨江社区托育中心", street=street("330302024"), kind=InstitutionKind.COMMUNITY)
    registration_record(
        actor=market,
        source=RegistrationSource.API,
        authority=Authority.MARKET_REGULATION,
        registration_number="330302600000901",
        registered_on=datetime.date(2026, 2, 13),
        kind=RegistrationKind.NEW,
        credit_code=make_credit_code(901),
        institution_name="温州市鹿城区小星星托育有限公司",
        street_code="330302006",
        address="温州市鹿城区五马街道解放街88号",
        legal_representative="陈丽",
    )
    return {
        "health_bureau": UserFactory(username="st-health", role=Role.HEALTH_BUREAU),
        "street_office": UserFactory(username="st-wuma", role=Role.STREET_OFFICE, street=street("330302006")),
        "anonymous": None,
    }


@pytest.fixture
def unthrottled(monkeypatch):
    # Throttling has its own tests (tests/registry/test_api.py); here every request is judged on its
    # own merits, not turned into a 429 by the ones before it.
    monkeypatch.setattr(
        SimpleRateThrottle,
        "THROTTLE_RATES",
        {"anon": "100000/minute", "user": "100000/minute", "login": "100000/minute"},
    )


def run_schemathesis(url, headers, phases=PHASES):
    """Run ``phases`` and every check of schemathesis against ``url``; its figures and its failures."""
    config = SchemathesisConfig.from_dict(
        {
            "headers": headers,
            "phases": {phase: {"enabled": phase in phases} for phase in PHASES},
            "generation": {"max-examples": MAX_EXAMPLES},
            "seed": 20260214,
            "operations": [
                {
                    # A body can be valid JSON Schema and still break a business rule (a credit code's check
                    # character, wrong credentials, a status transition): the documented 400. A query cannot:
                    # every bound on a query parameter is in the schema, so a valid query is never a 400.
                    "include-method": ["POST", "PUT", "PATCH"],
                    "checks": {"positive_data_acceptance": {"expected-statuses": [*ACCEPTED, "400"]}},
                }
            ],
        }
    )
    schema = schemathesis.openapi.from_url(url, config=config)
    statistic = Statistic()
    statuses = {}
    errors = []
    finished = None
    for event in schemathesis.engine.from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            statistic.on_scenario_finished(event.recorder)
            for interaction in event.recorder.interactions.values():
                if interaction.response is not None:
                    code = interaction.response.status_code
                    statuses[code] = statuses.get(code, 0) + 1
        elif isinstance(event, events.NonFatalError | events.FatalError):
            errors.append(str(getattr(event, "value", None) or getattr(event, "exception", event)))
        elif isinstance(event, events.EngineFinished):
            finished = event
    failures = [
        f"{label}: {failure.title} — {failure.message}\n    {group.code_sample}".strip()
        for label, grouped in statistic.failures.items()
        for group in grouped.values()
        for failure in group.failures
    ]
    return {
        "operations": len(statistic.tested_operations),
        "cases": statistic.total_cases,
        "requests": sum(statuses.values()),
        "server_errors": sum(n for code, n in statuses.items() if code >= 500),
        "statuses": dict(sorted(statuses.items())),
        "failures": failures,
        "errors": errors,
        "seconds": round(finished.running_time, 1) if finished else None,
    }


@pytest.mark.parametrize("role", ["health_bureau", "street_office", "anonymous"])
def test_the_api_answers_as_its_schema_says(live_server, world, unthrottled, role):
    user = world[role]
    headers = {"Authorization": f"Token {api_token(user)}"} if user else {}

    phases = tuple(p for p in PHASES if p != "coverage") if role == "street_office" else PHASES
    figures = run_schemathesis(f"{live_server.url}/api/schema/?format=json", headers, phases)

    print(f"\nschemathesis as {role}: {figures}")
    assert figures["errors"] == []
    assert figures["server_errors"] == 0, figures["statuses"]
    assert figures["failures"] == [], "\n".join(figures["failures"])
    assert figures["operations"] >= 12 and figures["requests"] >= (100 if "coverage" in phases else 60)
