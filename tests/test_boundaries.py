"""The house's boundaries, as import-linter checks them in CI (``[tool.importlinter]`` in pyproject.toml).

Each contract is fed a deliberate violation, in a temporary tree of packages shaped like
ours (the project package with its cross-cutting apps, the registry, subsidies, inspections,
targets), checked with a copy of the real contract configuration; ``lint-imports`` must
fail it, naming the broken contract. The same tree without the violation passes, and so
does the real one.
"""

import os
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"

# A small tree that keeps every rule: (module path, source).
TREE = {
    "luchen_care/__init__.py": "",
    "luchen_care/settings.py": "INSTALLED_APPS = ['registry', 'subsidies', 'inspections', 'targets']\n",
    "luchen_care/urls.py": "import registry.api\n",  # the URLconf wires the apps in
    "luchen_care/celery.py": "",
    "luchen_care/wsgi.py": "import luchen_care.settings\n",
    "luchen_care/accounts/__init__.py": "",
    "luchen_care/accounts/models.py": "",
    "luchen_care/audit/__init__.py": "",
    "luchen_care/audit/services.py": "from luchen_care.accounts import models\n",
    "luchen_care/audit/admin.py": "from luchen_care.audit import services\n",
    "luchen_care/core/__init__.py": "",
    "luchen_care/core/admin.py": "",
    "luchen_care/core/imports/__init__.py": "",
    "luchen_care/core/imports/selectors.py": "",
    "luchen_care/core/imports/services.py": "from luchen_care.core.imports import selectors\n",
    "luchen_care/core/imports/views.py": "from luchen_care.core.imports import selectors, services\n",
    "luchen_care/workdays/__init__.py": "",
    "luchen_care/workdays/signals.py": "",
    "luchen_care/workdays/services.py": "from luchen_care.workdays import signals\n",
    "luchen_care/exchange/__init__.py": "",
    "luchen_care/exchange/selectors.py": "",
    "luchen_care/exchange/services.py": textwrap.dedent(
        """
        from luchen_care.exchange import selectors


        def enqueue():
            from luchen_care.exchange import tasks  # the allowed exception: enqueue on commit

            return tasks
        """
    ),
    "luchen_care/exchange/tasks.py": "from luchen_care.exchange import services\n",
    "luchen_care/exchange/admin.py": "from luchen_care.exchange import services\n",
    "luchen_care/portal/__init__.py": "",
    "luchen_care/portal/access.py": "from luchen_care.accounts import models\n",
    "luchen_care/portal/views.py": "from luchen_care.portal import access\n",
    "luchen_care/documents/__init__.py": "",
    "luchen_care/documents/selectors.py": "",
    "luchen_care/documents/services.py": "from luchen_care.documents import selectors\n",
    "luchen_care/documents/views.py": "from luchen_care.documents import selectors\n",
    "luchen_care/files/__init__.py": "",
    "luchen_care/files/selectors.py": "",
    "luchen_care/files/services.py": "from luchen_care.files import selectors\n",
    "luchen_care/files/views.py": "from luchen_care.files import selectors, services\n",
    "registry/__init__.py": "",
    "registry/models.py": "from luchen_care.accounts import models\n",
    "registry/selectors.py": "from registry import models\n",
    "registry/services.py": "from registry import models, selectors\nfrom luchen_care.exchange import services\n",
    "registry/tasks.py": "from registry import services\n",
    "registry/admin.py": (
        "from registry import selectors, services\n"
        "from luchen_care.core import admin\n"
        "from luchen_care.documents import selectors as documents\n"
    ),
    "registry/api/__init__.py": "from registry import selectors, services\n",
    "subsidies/__init__.py": "",
    "subsidies/services.py": "from registry import selectors\n",
    "subsidies/admin.py": "from subsidies import services\n",
    "inspections/__init__.py": "",
    "inspections/services.py": "from registry import services\n",
    "targets/__init__.py": "",
    "targets/views.py": "import inspections.services\nimport subsidies.services\n",
}

# contract id → (module that gets the line, the offending import, what it breaks)
VIOLATIONS = {
    "project-knows-no-domain-app": [
        ("luchen_care/workdays/services.py", "def recount():\n    from registry import services\n"),
        ("luchen_care/exchange/services.py", "from registry import models\n"),
        ("luchen_care/accounts/models.py", "import subsidies.services\n"),
        ("luchen_care/documents/services.py", "from registry import models\n"),
        ("luchen_care/files/services.py", "from registry import models\n"),
    ],
    "subsidies-inspections-independent": [
        ("subsidies/services.py", "import inspections.services\n"),
        ("inspections/services.py", "from subsidies import services as subsidy_services\n"),
    ],
    "nothing-imports-targets": [
        ("registry/selectors.py", "import targets.views\n"),
        ("subsidies/admin.py", "from targets import views\n"),
    ],
    "faces-above-services": [
        ("registry/services.py", "from registry import admin\n"),
        ("registry/selectors.py", "import registry.api\n"),
        ("luchen_care/exchange/selectors.py", "from luchen_care.exchange import tasks\n"),
        ("luchen_care/core/imports/services.py", "from luchen_care.core.imports import views\n"),
        ("luchen_care/documents/services.py", "from luchen_care.documents import views\n"),
        ("luchen_care/files/selectors.py", "from luchen_care.files import views\n"),
    ],
}


def contract_config() -> str:
    """The ``[tool.importlinter]`` tables of pyproject.toml, as they are."""
    lines, keep = [], False
    for line in (BASE_DIR / "pyproject.toml").read_text().splitlines():
        if line.startswith("["):
            keep = line.lstrip("[").startswith("tool.importlinter")
        if keep:
            lines.append(line)
    return "\n".join(lines) + "\n"


def lint(root: Path, *args):
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", *args], cwd=root, env=env, capture_output=True, text=True, timeout=120
    )


def build_tree(root: Path, extra=None):
    for name, source in TREE.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source)
    if extra:
        name, line = extra
        with (root / name).open("a") as handle:
            handle.write("\n" + line)
    config = root / "contracts.toml"
    config.write_text(contract_config())
    return config


def test_the_real_tree_keeps_every_contract():
    result = subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=BASE_DIR, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "4 kept, 0 broken" in result.stdout


def test_the_sample_tree_keeps_every_contract(tmp_path):
    config = build_tree(tmp_path)
    result = lint(tmp_path, "--config", str(config))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "4 kept, 0 broken" in result.stdout


@pytest.mark.parametrize(
    ("contract", "violation"),
    [(contract, violation) for contract, violations in VIOLATIONS.items() for violation in violations],
    ids=lambda value: value if isinstance(value, str) else value[0],
)
def test_a_violation_breaks_its_contract(tmp_path, contract, violation):
    config = build_tree(tmp_path, extra=violation)
    result = lint(tmp_path, "--config", str(config))
    assert result.returncode != 0, result.stdout
    # The contract fed the violation is broken (an import of targets may break others through it too).
    broken = [line for line in result.stdout.splitlines() if " BROKEN" in line]
    names = {c["id"]: c["name"] for c in tomllib.loads(contract_config())["tool"]["importlinter"]["contracts"]}
    assert any(line.startswith(names[contract] + " BROKEN") for line in broken), result.stdout
