"""The outbox's entry on the staff workbench (``luchen_care.core.workbench``), registered from ``apps.py``.

Failed deliveries wait for a person: whoever may re-queue them (``administers_district``, the
action's own permission) sees how many there are, counted on ``visible_to(user)`` as the
delivery list is, and opens that list filtered on them.
"""

from django.contrib import admin
from django.urls import reverse
from django.utils.translation import gettext as _

from luchen_care.accounts.permissions import administers_district
from luchen_care.core.workbench import Entry

from .models import DeliveryStatus, PushDelivery


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
