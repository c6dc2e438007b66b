"""What the outbox adds to the workbenches (``luchen_care.core.workbench``), registered from ``apps.py``:

- the staff workbench: failed deliveries wait for a person. Whoever may re-queue them
  (``administers_district``, the action's own permission) sees how many there are, counted on
  ``visible_to(user)`` as the delivery list is, and opens that list filtered on them;
- the portal: the inbox in its menu, and its unread count on the institution's workbench.
"""

from django.contrib import admin
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from luchen_care.accounts.permissions import administers_district
from luchen_care.core.workbench import Audience, Entry, workbench_register
from luchen_care.portal.access import in_portal
from luchen_care.portal.nav import nav_register

from .models import DeliveryStatus, PushDelivery
from .selectors import portal_unread_count


def failed_delivery_entries(user):
    """The deliveries whose every attempt failed, for those who re-queue them."""
    if not (administers_district(user) and admin.site.get_model_admin(PushDelivery).reads_bureau_records(user)):
        return []
    count = PushDelivery.objects.visible_to(user).filter(status=DeliveryStatus.FAILED).count()
    url = f"{reverse('admin:exchange_pushdelivery_changelist')}?status__exact={DeliveryStatus.FAILED}"
    return [
        Entry(
            key="exchange.failed_deliveries",
            label=_("Failed deliveries in the outbox"),
            count=count,
            url=url,
            urgent=bool(count),
            help=_("Every attempt failed: read the error, then re-queue them."),
            order=60,
        )
    ]


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
    workbench_register(failed_delivery_entries, audience=Audience.STAFF)
    nav_register(url_name="portal:inbox", label=gettext_lazy("Messages"), order=90)
    workbench_register(unread_messages, audience=Audience.PORTAL)
