"""The staff workbench's entry of the institutions still to invite to the portal (registered from ``apps.py``)."""

from django.urls import reverse
from django.utils.translation import gettext as _

from luchen_care.accounts.permissions import manages_institution_accounts
from luchen_care.core.workbench import Audience, Entry, workbench_register

from .selectors.invitations import institutions_to_invite

TO_INVITE = "to_invite"


def institutions_to_invite_entry(user):
    """Whoever invites institutions' people: the institutions to invite, opening the institution list
    filtered to them (``admin.invitations.PortalAccountFilter``; one COUNT)."""
    if not manages_institution_accounts(user):
        return []
    return [
        Entry(
            key="registry.institutions_to_invite",
            label=_("Institutions to invite to the portal"),
            count=institutions_to_invite(user=user).count(),
            url=f"{reverse('admin:registry_institution_changelist')}?portal={TO_INVITE}",
            help=_("Registered, with no portal account and no invitation waiting: invite their administrator."),
            order=60,
        )
    ]


def register():
    workbench_register(institutions_to_invite_entry, audience=Audience.STAFF)
