"""Reads about institutions' portal accounts: which institutions the bureau still has to invite."""

from django.db.models import Exists, OuterRef
from django.utils import timezone

from luchen_care.accounts.models import Invitation, Role, User

from ..models import Institution, Registration


def institutions_to_invite(*, user, now=None):
    """The institutions ``user`` sees whose registration reached the platform and that have neither an
    active portal account nor an invitation still waiting to be used (closed ones excluded)."""
    now = now or timezone.now()
    accounts = User.objects.filter(role=Role.INSTITUTION, is_active=True, institution=OuterRef("pk"))
    invitations = Invitation.objects.live(now).filter(institution=OuterRef("pk"))
    registrations = Registration.objects.filter(institution=OuterRef("pk"))
    return (
        Institution.objects.visible_to(user)
        .filter(archived=False)
        .filter(Exists(registrations))
        .exclude(Exists(accounts))
        .exclude(Exists(invitations))
    )
