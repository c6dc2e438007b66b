"""A real client: generated from /api/schema/ by openapi-python-client, then used against the server.

Generation runs offline (``--path`` to the schema saved from the app, ``--meta none``); its
post-hook formats with the venv's ruff. Every generated module must import, and the client
must parse every answer, errors included, into the documented models.
"""

import datetime
import importlib
import json
import os
import pkgutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.test import Client

from luchen_care.accounts.models import Authority, Role
from tests.factories import InstitutionFactory, UserFactory, make_credit_code, street

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

VENV_BIN = Path(sys.executable).parent


@pytest.fixture
def generated(tmp_path):
    """The generated package, imported under a name of its own; removed from sys.modules afterwards."""
    response = Client().get("/api/schema/", {"format": "json"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    (tmp_path / "schema.json").write_text(json.dumps(response.json()))
    # A filing's documents are PDFs (``application/pdf`` in the schema): the client reads them as bytes.
    (tmp_path / "config.json").write_text(
        json.dumps({"content_type_overrides": {"application/pdf": "application/octet-stream"}})
    )
    name = f"lucheng_client_{uuid.uuid4().hex[:8]}"
    result = subprocess.run(
        [VENV_BIN / "openapi-python-client", "generate", "--path", "schema.json", "--meta", "none"]
        + ["--config", "config.json", "--output-path", name],
        cwd=tmp_path,
        env={**os.environ, "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Warning" not in result.stdout + result.stderr, result.stdout + result.stderr
    sys.path.insert(0, str(tmp_path))
    try:
        yield name, importlib.import_module(name)
    finally:
        sys.path.remove(str(tmp_path))
        for module in [m for m in sys.modules if m == name or m.startswith(f"{name}.")]:
            del sys.modules[module]


def test_every_generated_module_imports(generated):
    name, package = generated
    modules = [info.name for info in pkgutil.walk_packages(package.__path__, f"{name}.")]
    failures = {}
    for module in modules:
        try:
            importlib.import_module(module)
        except Exception as exc:  # noqa: BLE001 - every failure is reported, not only the first
            failures[module] = repr(exc)
    assert failures == {}
    writes = [m for m in modules if m.endswith(("_create", "_update", "_partial_update"))]
    assert len(writes) >= 5 and len(modules) >= 40


def test_the_generated_client_does_a_day_of_work(generated, live_server):
    name, _package = generated

    def api(module):
        return importlib.import_module(f"{name}.api.{module}")

    models = importlib.import_module(f"{name}.models")
    client_module = importlib.import_module(f"{name}.client")
    UserFactory(username="gen-market", role=Role.REGISTRATION_AUTHORITY, authority=Authority.MARKET_REGULATION)
    UserFactory(username="gen-health", role=Role.HEALTH_BUREAU)
    institution = InstitutionFactory(name="五马贝乐托育", street=street("330302006"))
    anonymous = client_module.Client(base_url=live_server.url, raise_on_unexpected_status=True)

    # A token, and the refusal of a wrong password, in the documented error model.
    body = models.TokenRequestRequest(username="gen-health", password="pw-Lucheng-2026")
    token = api("auth.v1_auth_token_create").sync(client=anonymous, body=body)
    assert isinstance(token, models.TokenResponse) and token.token
    wrong = models.TokenRequestRequest(username="gen-health", password="wrong")
    refused = api("auth.v1_auth_token_create").sync_detailed(client=anonymous, body=wrong)
    assert refused.status_code == 400 and isinstance(refused.parsed, models.Error)
    assert refused.parsed.error.code == "invalid" and refused.parsed.error.message

    health = client_module.AuthenticatedClient(
        base_url=live_server.url, token=token.token, prefix="Token", raise_on_unexpected_status=True
    )

    # List and read institutions.
    page = api("v1.v1_institutions_list").sync(client=health, page_size=10)
    assert isinstance(page, models.PaginatedInstitutionList) and page.count == 1
    assert page.results[0].name == "五马贝乐托育"
    one = api("v1.v1_institutions_retrieve").sync(client=health, id=institution.pk)
    assert isinstance(one, models.Institution) and one.credit_code == institution.credit_code

    # Post a registration as the market regulator.
    market_token = api("auth.v1_auth_token_create").sync(
        client=anonymous, body=models.TokenRequestRequest(username="gen-market", password="pw-Lucheng-2026")
    )
    market = client_module.AuthenticatedClient(
        base_url=live_server.url, token=market_token.token, prefix="Token", raise_on_unexpected_status=True
    )
    registration = models.RegistrationInputRequest.from_dict(
        {
            "authority": "market_regulation",
            "registration_number": "330302600000777",
            "registered_on": "2026-02-13",
            "kind": "new",
            "credit_code": make_credit_code(777),
            "institution_name": "温州市鹿城区小星星托育有限公司",
            "street_code": "330302006",
            "address": "温州市鹿城区五马街道解放街88号",
            "legal_representative": "陈丽",
        }
    )
    created = api("v1.v1_registrations_create").sync_detailed(client=market, body=registration)
    assert created.status_code == 201, created.content
    assert isinstance(created.parsed, models.Registration)
    assert created.parsed.registered_on == datetime.date(2026, 2, 13)

    # The SLA report.
    sla = api("v1.v1_registrations_sla_retrieve").sync(client=health, year=2026)
    assert isinstance(sla, models.SlaReport) and sla.overall.total == 1

    # Every error answer parses into the documented model.
    errors = {
        "400 invalid filter": api("v1.v1_registrations_sla_retrieve").sync_detailed(client=health, year=1999),
        "400 page_size": api("v1.v1_institutions_list").sync_detailed(client=health, page_size=501),
        "401": api("v1.v1_institutions_list").sync_detailed(
            client=client_module.AuthenticatedClient(base_url=live_server.url, token="nope", prefix="Token")
        ),
        "404": api("v1.v1_institutions_retrieve").sync_detailed(client=health, id=999999),
        "404 page": api("v1.v1_institutions_list").sync_detailed(client=health, page=99),
    }
    expected = {"400 invalid filter": 400, "400 page_size": 400, "401": 401, "404": 404, "404 page": 404}
    for label, response in errors.items():
        assert response.status_code == expected[label], (label, response.content)
        assert isinstance(response.parsed, models.Error), label
        assert response.parsed.error.code and response.parsed.error.message, label

    # JSON nested too deep, sent through the client's own HTTP session, parsed by its error model.
    deep = anonymous.get_httpx_client().post(
        "/api/v1/auth/token/", content="[" * 100 + "]" * 100, headers={"Content-Type": "application/json"}
    )
    assert deep.status_code == 400
    parsed = models.Error.from_dict(deep.json())
    assert parsed.error.code == "too_deep"
