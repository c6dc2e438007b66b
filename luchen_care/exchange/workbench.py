"""What the outbox adds to the portal: the inbox in its menu, and its unread count on the workbench."""

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from luchen_care.core.workbench import Audience, Entry, workbench_register
from luchen_care.portal.access import in_portal
from luchen_care.portal.nav import nav_register

from .selectors import portal_unread_count


def unread_messages(user):
    """The portal workbench's entry: the unread inbox messages, opening the list of those (one COUNT)."""
    if not in_portal(user):
        return []
    count = portal_unread_count(user)
    return [
        Entry(
            key="exchange.unread_messages",
            label=_("Unread messages"),
            count=count,
            url=f"{reverse('portal:inbox')}?unread=1",
            help=_("Notices from the platform waiting in your inbox."),
            order=90,
        )
    ]


def register():
    nav_register(url_name="portal:inbox", label=gettext_lazy("Messages"), order=90)
    workbench_register(unread_messages, audience=Audience.PORTAL)
