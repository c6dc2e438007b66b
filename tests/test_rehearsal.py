"""The production rehearsal's own logic (``scripts/production-rehearsal``; CI runs the whole of it):
it runs what the Dockerfile and compose run, and its count check catches a lost registration, a
second key for one registration, and one key for two."""

import importlib.machinery
import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "production-rehearsal"


@pytest.fixture(scope="module")
def rehearsal():
    loader = importlib.machinery.SourceFileLoader("production_rehearsal", str(SCRIPT))
    module = importlib.util.module_from_spec(importlib.util.spec_from_loader(loader.name, loader))
    loader.exec_module(module)
    return module


def test_it_runs_the_image_entry_point_with_each_compose_command(rehearsal):
    commands, environment = rehearsal.production_commands()

    assert commands == {
        "collectstatic": ["scripts/entrypoint", "collectstatic"],
        "migrate": ["scripts/entrypoint", "migrate"],
        "web": ["scripts/entrypoint", "web"],
        "worker": ["scripts/entrypoint", "worker"],
        "beat": ["scripts/entrypoint", "beat"],
    }
    assert environment["DJANGO_DEBUG"] == "false"
    assert rehearsal.substitute(environment["DATABASE_URL"], {"POSTGRES_PASSWORD": "s3"}) == (
        "postgres://lucheng:s3@db:5432/lucheng"
    )
    assert rehearsal.substitute(environment["DJANGO_ALLOWED_HOSTS"], {}) == "localhost,127.0.0.1"


def test_the_count_check_passes_retries_and_duplicates_under_one_key(rehearsal):
    attempts = [("k1", 1, 503), ("k1", 1, 200), ("k2", 2, 200), ("k2", 2, 200)]

    problems, figures = rehearsal.one_per_key(attempts, {1, 2})

    assert problems == []
    assert figures == {"registrations": 2, "received": 2, "accepted": 3, "duplicates": 1, "attempts": 4}


@pytest.mark.parametrize(
    ("attempts", "problem"),
    [
        ([("k1", 1, 200), ("k2", 2, 503)], "1 registrations never reached the receiver"),
        ([("k1", 1, 200), ("k2", 2, 200), ("k3", 2, 200)], "1 registrations were sent under more than one"),
        ([("k1", 1, 200), ("k1", 2, 200)], "1 Idempotency-Keys carried more than one registration"),
    ],
    ids=["a registration lost", "a retry under a new key (broken dedup)", "one key for two registrations"],
)
def test_the_count_check_fails_what_a_broken_retry_or_dedup_does(rehearsal, attempts, problem):
    problems, _figures = rehearsal.one_per_key(attempts, {1, 2})

    assert any(p.startswith(problem) for p in problems), problems
