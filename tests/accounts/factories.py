"""factory_boy factories of the accounts app."""

import itertools

import factory

from luchen_care.accounts.models import COUNTY_ROLES, Role, User
from luchen_care.accounts.services import api_token_issue
from luchen_care.regions.models import County

LUCHENG = "330302"


def home_county(user):
    """A county role's county: Lucheng, the county the test database's streets belong to."""
    return County.objects.get(code=LUCHENG) if user.role in COUNTY_ROLES else None


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.PostGenerationMethodCall("set_password", "pw-Lucheng-2026")
    is_staff = True
    role = Role.HEALTH_BUREAU
    county = factory.LazyAttribute(home_county)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


_token_names = itertools.count(1)


def api_token(user, *, name=None, actor=None, now=None):
    """A new API token of ``user`` (issued by ``actor``, default the account itself); returns its raw key."""
    issued = api_token_issue(actor=actor or user, user=user, name=name or f"测试系统-{next(_token_names)}", now=now)
    return issued.key
