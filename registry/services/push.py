"""Pushing registrations to the health bureau, and the daily digest of overdue ones, through the outbox.

The registry decides what is said and records what the outcome means; the outbox
(``luchen_care.exchange``) delivers, retries and signs, and knows nothing of registrations.

- ``registration_push_enqueue(registration=...)``: called inside the transaction that saves a
  registration (``registration_record``); writes its push to the outbox.
- ``delivery_outcome_record``: the receiver of the outbox's ``delivery_recorded`` signal
  (``registry.receivers``); copies the push channel's outcome to the registration
  (``push_status``, ``pushed_at``, a history row) and a digest's channels to its run.
- ``overdue_digest_send``: the beat job's daily digest.

A registration counts as pushed (``push_status=pushed``, ``pushed_at``) when the health
bureau has it: the webhook delivery's ``delivered_at`` when the registration has a
webhook delivery (``HEALTH_BUREAU_PUSH_URL`` was configured when it was saved),
otherwise the inbox delivery. DingTalk is a notification, not the push.
"""

import uuid

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from luchen_care.exchange.models import Channel, DeliveryStatus, PushDelivery
from luchen_care.exchange.services import (
    Notice,
    OutboxEntry,
    outbox_enqueue,
    outbox_enqueue_many,
    outbox_keys,
)
from luchen_care.regions.models import County

from .. import payloads
from ..models import DigestRun, Institution, PushStatus, Registration

REGISTRATION_TOPIC = "registry.registration_push"
DIGEST_TOPIC = "registry.overdue_digest"


def _in_default_language():
    # The documents (``authority_name``) and the texts stored for people must not depend on
    # who triggered the write.
    return translation.override(settings.LANGUAGE_CODE)


def registration_notice(registration, *, key, county_name=None) -> Notice:
    """What the bureau is told of ``registration``: the webhook document and the DingTalk text
    (``county_name``, its county's, when the caller has it already)."""
    with _in_default_language():
        title, text = payloads.registration_markdown(registration, county_name=county_name)
        return Notice(document=payloads.registration_push_document(registration, key=key), title=title, text=text)


def registration_push_enqueue(*, registration):
    """Write the registration's push to the outbox (one row per enabled channel), enqueued on commit.

    Call it inside the transaction that saves ``registration``: the rows and the
    registration commit together, and no task runs before the commit. Calling it again
    for the same registration adds only missing channels (one row per registration and
    channel, with the key of the rows already there) and re-enqueues the pending ones;
    delivered rows are never sent again.
    """
    return registration_pushes_enqueue(registrations=[registration])[0]


def registration_pushes_enqueue(*, registrations):
    """``registration_push_enqueue`` for many registrations (a file's import) in a constant
    number of queries: the same rows, keys and documents. Returns each registration's rows."""
    keys = outbox_keys(topic=REGISTRATION_TOPIC, subjects=registrations)
    counties = registration_counties(registrations)
    entries = []
    for registration in registrations:
        key = keys.get(registration.pk) or uuid.uuid4()
        code, name = counties.get(registration.institution_id, ("", ""))
        entries.append(
            OutboxEntry(
                subject=registration,
                label=payloads.registration_label(registration),
                notice=registration_notice(registration, key=key, county_name=name),
                idempotency_key=key,
                destination=code,
            )
        )
    return outbox_enqueue_many(topic=REGISTRATION_TOPIC, entries=entries)


def registration_counties(registrations) -> dict:
    """``(code, name)`` of each registration's institution's county (its street's), by institution id,
    in one query: a registration is pushed to its own county's health bureau."""
    ids = {registration.institution_id for registration in registrations}
    rows = Institution.objects.filter(pk__in=ids).values_list("pk", "street__county__code", "street__county__name")
    return {pk: (code, name) for pk, code, name in rows}


def registration_deliveries(registration):
    """The outbox rows of ``registration``'s push."""
    return PushDelivery.objects.filter(
        subject_type=ContentType.objects.get_for_model(Registration),
        subject_id=registration.pk,
        topic=REGISTRATION_TOPIC,
    )


def _is_push_channel(delivery) -> bool:
    if delivery.channel == Channel.WEBHOOK:
        return True
    if delivery.channel == Channel.INBOX:
        return not PushDelivery.objects.filter(
            subject_type_id=delivery.subject_type_id,
            subject_id=delivery.subject_id,
            topic=delivery.topic,
            channel=Channel.WEBHOOK,
        ).exists()
    return False


def _registration_follow(delivery, *, actor=None, reason=""):
    """Carry the push channel's outcome over to its registration (push status, ``pushed_at``).

    A change writes one registration history row, by ``actor`` (none for the worker), with
    the reason: the delivery's outcome, or ``reason`` when given.
    """
    if not _is_push_channel(delivery):
        return
    registration = Registration.objects.select_for_update().get(pk=delivery.subject_id)
    channel = delivery.get_channel_display()
    if delivery.status == DeliveryStatus.DELIVERED:
        wanted = (PushStatus.PUSHED, delivery.delivered_at)
        outcome = _("%(channel)s: delivered (Idempotency-Key %(key)s)") % {
            "channel": channel,
            "key": delivery.idempotency_key,
        }
    elif delivery.status == DeliveryStatus.FAILED:
        wanted = (PushStatus.FAILED, registration.pushed_at)
        outcome = _("%(channel)s: failed: %(error)s") % {"channel": channel, "error": delivery.last_error}
    else:
        wanted = (PushStatus.PENDING, registration.pushed_at)
        outcome = _("%(channel)s: pending") % {"channel": channel}
    if (registration.push_status, registration.pushed_at) == wanted:
        return  # a retry that changes nothing writes no history row
    registration.push_status, registration.pushed_at = wanted
    registration._change_reason = (reason or outcome)[:100]  # simple-history's column is 100 characters
    registration._history_user = actor
    registration.save(update_fields=["push_status", "pushed_at", "modified_at"])


def _digest_follow(delivery):
    """Note a delivered channel on its digest run; the run is sent when every channel has it."""
    if delivery.status != DeliveryStatus.DELIVERED:
        return
    run = DigestRun.objects.select_for_update().get(pk=delivery.subject_id)
    if delivery.channel not in run.channels_done:
        run.channels_done.append(str(delivery.channel))
    pending = (
        PushDelivery.objects.filter(subject_type_id=delivery.subject_type_id, subject_id=run.pk, topic=DIGEST_TOPIC)
        .exclude(status=DeliveryStatus.DELIVERED)
        .exists()
    )
    if not pending and run.sent_at is None:
        run.sent_at = timezone.now()
    run.save(update_fields=["channels_done", "sent_at"])


def delivery_outcome_record(*, delivery, actor=None, reason=""):
    """Record what an outbox delivery's new state means for the registry's records.

    Called by the outbox's ``delivery_recorded`` signal, in the outbox's transaction.
    Changes in the world: for a registration's push channel, the registration's
    ``push_status`` and ``pushed_at`` with a history row saying why (by ``actor``, with
    ``reason`` when a person acted); for a digest, the channels that have it and, once all
    do, ``sent_at``. Deliveries of other topics are not the registry's and are left alone.
    """
    if delivery.topic == REGISTRATION_TOPIC:
        with _in_default_language():
            _registration_follow(delivery, actor=actor, reason=reason)
    elif delivery.topic == DIGEST_TOPIC:
        _digest_follow(delivery)


# --- The daily overdue digest -----------------------------------------------------------


def digest_notice(run, registrations) -> Notice:
    with _in_default_language():
        title, text = payloads.digest_markdown(run, registrations)
        return Notice(document=payloads.overdue_digest_document(run, registrations), title=title, text=text)


@transaction.atomic
def overdue_digest_send(*, today=None) -> dict:
    """Hand today's digest of overdue registrations to the outbox, once a day for each county.

    Changes in the world: for each county the deployment serves, creates the day's
    ``DigestRun`` of that county (unique per county and date) with the list of its
    registrations overdue today (``Registration.objects.overdue``, by the institution's street's
    county), and, when the list is not empty, writes it to the outbox in the same transaction, to
    that county's channels (``destination``: its own endpoint and robot, or the deployment's
    default): the webhook (``lucheng-care.overdue-digest/v1``, with the run's Idempotency-Key),
    DingTalk (markdown) and the inbox (the run itself). The outbox delivers and retries each
    channel on its own; ``delivery_outcome_record`` notes each channel that has it, and
    ``sent_at`` once all do. Later calls that day do nothing. Nothing is sent when nothing is
    overdue (the run is marked sent). Returns each county's outcome by its code:
    ``"enqueued"``, ``"nothing overdue"`` or ``"already done today"``.
    """
    today = today or timezone.localdate()
    return {county.code: _county_digest_send(county, today) for county in County.objects.order_by("code")}


def _county_digest_send(county, today) -> str:
    overdue = (
        Registration.objects.overdue(today).filter(institution__street__county=county).order_by("push_deadline", "pk")
    )
    run, created = DigestRun.objects.get_or_create(
        date=today, county=county, defaults={"registration_ids": list(overdue.values_list("pk", flat=True))}
    )
    if not created:
        return "already done today"
    if not run.registration_ids:
        run.sent_at = timezone.now()
        run.save(update_fields=["sent_at"])
        return "nothing overdue"
    registrations = list(
        Registration.objects.filter(pk__in=run.registration_ids)
        .select_related("institution__street", "push_rule")
        .order_by("push_deadline", "pk")
    )
    outbox_enqueue(
        topic=DIGEST_TOPIC,
        subject=run,
        label=str(run),
        notice=digest_notice(run, registrations),
        idempotency_key=run.idempotency_key,
        destination=county.code,
    )
    return "enqueued"
