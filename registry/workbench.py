"""The registry's entries on the workbenches (``luchen_care.core.workbench``), registered from ``apps.py``."""

from django.contrib.admin import site
from django.urls import reverse
from django.utils.translation import gettext as _

from luchen_care.core.workbench import Entry

from .models import PortalSignup, SignupState
from .selectors.signups import portal_signups_awaiting_activation


def pending_signups_entries(user):
    """ "Portal sign-ups awaiting activation", for whoever reads the sign-ups' admin list: the count of
    its rows filtered to *pending* (the same selector as the list), linking to that filtered list.
    One query."""
    model_admin = site._registry.get(PortalSignup)
    if model_admin is None or not model_admin.reads_bureau_records(user):
        return []
    count = portal_signups_awaiting_activation(user=user).count()
    url = reverse("admin:registry_portalsignup_changelist") + f"?state__exact={SignupState.PENDING}"
    return [
        Entry(
            key="registry.portal_signups_pending",
            label=_("Portal sign-ups awaiting activation"),
            count=count,
            url=url,
            help=_("Institutions that signed up without a code: check each and activate or reject it."),
            order=30,
        )
    ]
