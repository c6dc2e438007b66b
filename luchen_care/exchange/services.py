"""Pushing registrations to the health bureau: the outbox and its deliveries.

Interface used by the registry (keep it stable):
``registration_push_enqueue(registration=...)`` must be called inside the transaction
that saves a registration. It writes one ``PushDelivery`` per enabled channel and, on
commit, enqueues their delivery.

A registration counts as pushed (``push_status=pushed``, ``pushed_at``) when the health
bureau has it: the webhook delivery's ``delivered_at`` when the registration has a
webhook delivery (``HEALTH_BUREAU_PUSH_URL`` was configured when it was saved),
otherwise the inbox delivery. DingTalk is a notification, not the push.

Retry policy (see ``docs/push.md``): network errors, timeouts, 5xx, 408, 429 and DingTalk
errcodes other than the permanent ones are retried after
``PUSH_RETRY_BASE_SECONDS * 2**(attempts-1)`` seconds, capped at
``PUSH_RETRY_MAX_SECONDS``, until ``PUSH_MAX_ATTEMPTS``; other 3xx/4xx, and DingTalk
errcodes that no retry can fix, fail at once, with the response kept for a person to see.

Texts stored for people (``last_error``, history change reasons) are rendered in
``settings.LANGUAGE_CODE`` when written, whoever triggers the write: a worker, an admin
user whose browser asks for English, a test.
"""

import dataclasses
import functools
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from registry.models import PushStatus, Registration

from . import channels, payloads, selectors
from .models import Channel, DeliveryStatus, DigestRun, PushDelivery

# A retry message may run a moment before the ``next_attempt_at`` its own attempt wrote.
CLOCK_TOLERANCE = timedelta(seconds=1)


def _in_default_language(func):
    """Run ``func`` with ``settings.LANGUAGE_CODE`` active: the texts it stores are read in the
    Chinese admin, and the documents it sends (``authority_name``) must not depend on who
    triggered the attempt."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with translation.override(settings.LANGUAGE_CODE):
            return func(*args, **kwargs)

    return wrapper


def enabled_channels():
    channels_ = [Channel.INBOX]
    if settings.HEALTH_BUREAU_PUSH_URL:
        channels_.append(Channel.WEBHOOK)
    if settings.DINGTALK_WEBHOOK_URL:
        channels_.append(Channel.DINGTALK)
    return channels_


def _enqueue_on_commit(delivery_ids):
    from .tasks import deliver_push  # noqa: PLC0415  (tasks import services)

    # robust: a broker that is down must not turn a committed registration into an error
    # answer; the row is pending and the beat scan enqueues it later.
    for pk in delivery_ids:
        transaction.on_commit(lambda pk=pk: deliver_push.delay(pk), robust=True)


def registration_push_enqueue(*, registration):
    """Write the registration's outbox rows (one per enabled channel) and enqueue them on commit.

    Call it inside the transaction that saves ``registration``: the rows and the
    registration commit together, and no task runs before the commit. Calling it again
    for the same registration adds only missing channels (one row per registration and
    channel) and re-enqueues the pending ones; delivered rows are never sent again.
    """
    deliveries = [
        PushDelivery.objects.get_or_create(registration=registration, channel=channel)[0]
        for channel in enabled_channels()
    ]
    _enqueue_on_commit([d.pk for d in deliveries if d.status == DeliveryStatus.PENDING])
    return deliveries


def retry_delay(attempts: int) -> float:
    """Seconds to wait after the ``attempts``-th failed attempt: base × 2^(attempts−1), capped."""
    base = float(settings.PUSH_RETRY_BASE_SECONDS)
    cap = float(settings.PUSH_RETRY_MAX_SECONDS)
    return min(cap, base * 2 ** max(0, attempts - 1))


@dataclasses.dataclass(frozen=True)
class Attempt:
    outcome: str  # delivered | retry | failed | skipped
    retry_in: float | None = None
    detail: str = ""


def _is_push_channel(delivery) -> bool:
    if delivery.channel == Channel.WEBHOOK:
        return True
    if delivery.channel == Channel.INBOX:
        return not PushDelivery.objects.filter(
            registration_id=delivery.registration_id, channel=Channel.WEBHOOK
        ).exists()
    return False


def _registration_follow(delivery, *, actor=None, reason=""):
    """Carry the push channel's outcome over to its registration (push status, ``pushed_at``).

    A change writes one registration history row, by ``actor`` (none for the worker), with
    the reason: the delivery's outcome, or ``reason`` when given.
    """
    if not _is_push_channel(delivery):
        return
    registration = Registration.objects.select_for_update().get(pk=delivery.registration_id)
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


def _send(delivery):
    """One attempt on the wire for ``delivery``'s channel; raises ``channels.DeliveryError``."""
    if delivery.channel == Channel.INBOX:
        return None  # the inbox is this database: marking it delivered is the delivery
    if delivery.channel == Channel.WEBHOOK:
        body = payloads.to_bytes(payloads.registration_push_document(delivery))
        return channels.webhook_post(body=body, idempotency_key=str(delivery.idempotency_key))
    if delivery.channel == Channel.DINGTALK:
        title, text = payloads.registration_markdown(delivery.registration)
        return channels.dingtalk_post(title=title, text=text)
    raise channels.PermanentError(f"unknown channel {delivery.channel!r}")


@_in_default_language
def delivery_attempt(*, delivery_id) -> Attempt:
    """Make one delivery attempt for outbox row ``delivery_id``, if it is due.

    Changes in the world: at most one request to the channel (webhook POST, DingTalk
    message; the inbox needs none), and on the row: ``attempts`` + 1, then either
    ``delivered`` with ``delivered_at``, or ``last_error`` (and the response status and body)
    with ``next_attempt_at`` for a retry, or ``failed``. The push channel's outcome is
    copied to the registration (``push_status``, ``pushed_at``). Each attempt leaves a
    history row of the delivery (``PushDelivery.history``), so earlier errors are kept.

    Idempotent and safe to run concurrently: the row is locked for the attempt
    (``SELECT … FOR UPDATE SKIP LOCKED``); a row that is locked by another worker,
    already delivered or failed, or whose retry is not due yet, is left alone. If the
    worker dies mid-request, the lock dies with its database connection and nothing
    was recorded, so the next attempt sends again with the same Idempotency-Key.
    """
    with transaction.atomic():
        delivery = (
            PushDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("registration__institution__street")
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None:
            return Attempt("skipped", detail="locked by another worker, or no such delivery")
        if delivery.status != DeliveryStatus.PENDING:
            return Attempt("skipped", detail=f"already {delivery.status}")
        if delivery.next_attempt_at and delivery.next_attempt_at > timezone.now() + CLOCK_TOLERANCE:
            return Attempt("skipped", detail="a retry is scheduled for later")

        delivery.attempts += 1
        retry_in = None
        try:
            response = _send(delivery)
        except channels.DeliveryError as exc:
            delivery.last_error = str(exc)
            delivery.last_response_status, delivery.last_response_body = exc.status, exc.body
            if isinstance(exc, channels.TransientError) and delivery.attempts < settings.PUSH_MAX_ATTEMPTS:
                retry_in = retry_delay(delivery.attempts)
                delivery.next_attempt_at = timezone.now() + timedelta(seconds=retry_in)
            else:
                delivery.status, delivery.next_attempt_at = DeliveryStatus.FAILED, None
        except Exception as exc:  # a bug must not lose the row: record it and retry like a transient error
            delivery.last_error = f"{type(exc).__name__}: {exc}"
            if delivery.attempts < settings.PUSH_MAX_ATTEMPTS:
                retry_in = retry_delay(delivery.attempts)
                delivery.next_attempt_at = timezone.now() + timedelta(seconds=retry_in)
            else:
                delivery.status, delivery.next_attempt_at = DeliveryStatus.FAILED, None
        else:
            delivery.status, delivery.delivered_at, delivery.next_attempt_at = (
                DeliveryStatus.DELIVERED,
                timezone.now(),
                None,
            )
            delivery.last_error = ""
            if response is not None:
                delivery.last_response_status = response.status_code
                delivery.last_response_body = response.text[: channels.KEPT_BODY_CHARS]
        delivery.save()
        _registration_follow(delivery)
    if delivery.status == DeliveryStatus.DELIVERED:
        return Attempt("delivered")
    if delivery.status == DeliveryStatus.FAILED:
        return Attempt("failed", detail=delivery.last_error)
    return Attempt("retry", retry_in=retry_in, detail=delivery.last_error)


@_in_default_language
@transaction.atomic
def deliveries_requeue(*, delivery_ids, actor=None) -> int:
    """Give failed deliveries a fresh set of attempts and enqueue them on commit.

    Changes in the world: each failed row goes back to ``pending`` with ``attempts`` 0
    (its last error is kept, prefixed with who re-queued it), its registration's push
    status back to pending, and a delivery task is enqueued. Who re-queued it and when
    stays in the history of the delivery and of the registration (``actor`` as the
    history user, with the reason), after later attempts have overwritten
    ``last_error``. The Idempotency-Key stays the same. Rows that are not failed are
    left alone. Returns how many were re-queued.
    """
    rows = list(
        PushDelivery.objects.select_for_update().filter(pk__in=list(delivery_ids), status=DeliveryStatus.FAILED)
    )
    who = getattr(actor, "username", None) or _("system")
    for delivery in rows:
        reason = _("Re-queued by %(user)s after %(attempts)d attempts") % {"user": who, "attempts": delivery.attempts}
        delivery.last_error = f"[{reason}] {delivery.last_error}"
        delivery.status, delivery.attempts, delivery.next_attempt_at = DeliveryStatus.PENDING, 0, None
        delivery._history_user, delivery._change_reason = actor, reason[:100]
        delivery.save()
        _registration_follow(delivery, actor=actor, reason=reason)
    _enqueue_on_commit([d.pk for d in rows])
    return len(rows)


def pending_pushes_enqueue(*, now=None) -> int:
    """Enqueue a delivery task for every pending row whose task may have been lost.

    That is a row that is due (``next_attempt_at`` passed) or new (none) for more than
    ``PUSH_SCAN_GRACE_SECONDS``: its message was lost (Redis lost data, a worker died and
    the message is not yet visible again, the publish after the commit failed). Enqueueing
    one that is already queued costs a skipped task, never a second delivery. At most
    ``PUSH_SCAN_BATCH`` per run. Returns how many were enqueued.
    """
    from .tasks import deliver_push  # noqa: PLC0415

    ids = list(selectors.deliveries_due(now=now)[: settings.PUSH_SCAN_BATCH].values_list("pk", flat=True))
    for pk in ids:
        deliver_push.delay(pk)
    return len(ids)


# --- The daily overdue digest -----------------------------------------------------------


def digest_channels():
    channels_ = [Channel.INBOX]
    if settings.HEALTH_BUREAU_PUSH_URL:
        channels_.append(Channel.WEBHOOK)
    if settings.DINGTALK_WEBHOOK_URL:
        channels_.append(Channel.DINGTALK)
    return channels_


def _digest_send(channel, run, registrations):
    if channel == Channel.INBOX:
        return  # the run itself is the platform's copy (admin: 逾期推送日报)
    if channel == Channel.WEBHOOK:
        body = payloads.to_bytes(payloads.overdue_digest_document(run, registrations))
        channels.webhook_post(body=body, idempotency_key=str(run.idempotency_key))
        return
    title, text = payloads.digest_markdown(run, registrations)
    channels.dingtalk_post(title=title, text=text)


@_in_default_language
def overdue_digest_send(*, today=None) -> Attempt:
    """Send today's digest of overdue registrations, once, through every configured channel.

    Changes in the world: creates the day's ``DigestRun`` (unique per date) with the list
    of registrations overdue today (``Registration.objects.overdue``), then sends it to the
    channels that do not have it yet: the webhook (``lucheng-care.overdue-digest/v1``, with
    the run's Idempotency-Key), DingTalk (markdown), and the inbox (the run itself). When
    every channel has it, ``sent_at`` is set and later calls that day do nothing. Nothing
    is sent when nothing is overdue. A transient failure returns a retry delay; only the
    channels still missing are sent again.
    """
    today = today or timezone.localdate()
    with transaction.atomic():
        DigestRun.objects.get_or_create(
            date=today,
            defaults={
                "registration_ids": list(
                    Registration.objects.overdue(today).order_by("push_deadline", "pk").values_list("pk", flat=True)
                )
            },
        )
    with transaction.atomic():
        run = DigestRun.objects.select_for_update(skip_locked=True).filter(date=today).first()
        if run is None:
            return Attempt("skipped", detail="another worker is sending today's digest")
        if run.sent_at:
            return Attempt("skipped", detail="already sent today")
        registrations = list(
            Registration.objects.filter(pk__in=run.registration_ids)
            .select_related("institution__street")
            .order_by("push_deadline", "pk")
        )
        run.attempts += 1
        errors, retryable = [], False
        if registrations:
            for channel in digest_channels():
                if channel in run.channels_done:
                    continue
                try:
                    _digest_send(channel, run, registrations)
                except channels.DeliveryError as exc:
                    errors.append(f"{channel}: {exc}")
                    retryable = retryable or isinstance(exc, channels.TransientError)
                else:
                    run.channels_done.append(str(channel))
        run.last_error = "\n".join(errors)
        if not errors:
            run.sent_at = timezone.now()
        run.save()
    if not errors:
        return Attempt("delivered", detail=f"{len(registrations)} overdue")
    if retryable and run.attempts < settings.PUSH_MAX_ATTEMPTS:
        return Attempt("retry", retry_in=retry_delay(run.attempts), detail=run.last_error)
    return Attempt("failed", detail=run.last_error)
