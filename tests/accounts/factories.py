"""factory_boy factories of the accounts app."""

import factory

from luchen_care.accounts.models import Role, User


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.PostGenerationMethodCall("set_password", "pw-Lucheng-2026")
    is_staff = True
    role = Role.HEALTH_BUREAU

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()
