"""Fixtures of the uploads' tests: each test's own media folder, institutions and their users
(the files themselves: ``tests.files.samples``)."""

import pytest

from luchen_care.accounts.models import Role, User
from tests.factories import InstitutionFactory

PASSWORD = "Portal-test-2026!"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """Uploads land in this test's own media folder (MEDIA_ROOT/uploads/), never the project's."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def institution(db):
    return InstitutionFactory(name="鹿城测试托育园")


@pytest.fixture
def other_institution(db):
    return InstitutionFactory(name="另一家托育园")


def institution_user(institution, username="jigou"):
    return User.objects.create_user(
        username=username, password=PASSWORD, role=Role.INSTITUTION, institution=institution
    )


@pytest.fixture
def owner(institution):
    return institution_user(institution)


@pytest.fixture
def stranger(other_institution):
    return institution_user(other_institution, username="other-jigou")
