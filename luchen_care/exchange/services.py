"""The signed outbox: notices written in the sender's transaction, delivered by Celery workers.

Interface for the apps that send (keep it stable)::

    from luchen_care.exchange.services import Notice, outbox_enqueue  # or outbox_enqueue_many, for a file's worth

    outbox_enqueue(
        topic="inspections.certificate_expiry",  # the kind of notice, "<app>.<what>"
        subject=certificate,                     # the record it is about (any model instance)
        label="卫生评价报告到期：小太阳托育中心",  # what people see in the admin
        notice=Notice(document={"schema": "lucheng-care.certificate-expiry/v1", ...}, title="…", text="…"),
        idempotency_key=key,                     # optional; give it when the document carries it
        channels=None,                           # default: every configured channel
    )

(The registration push, ``registry.services.push``, is the first sender: topic
``registry.registration_push``, subject the registration.)

Call it inside the transaction that decides the notice: its rows (one per channel and
subject, topic) commit with the decision, and their delivery is enqueued on commit. What
each channel gets:

- ``webhook``: ``notice.document`` as UTF-8 JSON (compact, keys sorted, Chinese unescaped),
  signed (``X-Signature``), with the notice's ``Idempotency-Key``; the receiver must answer 2xx;
- ``dingtalk``: a markdown message ``notice.title`` / ``notice.text`` to the group robot,
  signed as DingTalk specifies;
- ``inbox``: kept in the platform (the row itself); delivering it is marking it delivered.

Notices to people (an institution's people: invitations, resets, later its notices) have their
own call, ``person_notice_enqueue`` (below): ``email`` over SMTP, ``sms`` through the HTTP
gateway, else ``portal``, the institution's portal inbox; secret texts are erased once sent.

The payload is stored on the row when the notice is enqueued: every attempt sends the same
bytes. The outbox knows channels, retries, signatures and delivery records, never what a
notice means. The sender learns each outcome from the signal ``signals.delivery_recorded``,
sent in the transaction that records it, and records there what it means for its records.

Later notices (certificate expiry, overdue rectification orders, subsidy decisions) use the
same call with their own topic and subject.

A delivery attempt (``delivery_attempt``) holds no transaction and no row lock while it
talks to the other side: it claims the row with a lease (``locked_until``) in one short
transaction, makes the request with no transaction open, and records the outcome in a
second short transaction, if its lease still holds. A worker that dies mid-request leaves
only its lease behind; once the lease has expired another attempt (the broker's redelivered
message, or the beat scan's) claims the row and sends again, with the same key and bytes.

Retry policy (see ``docs/push.md``): network errors, timeouts, 5xx, 408, 429, DingTalk
errcodes other than the permanent ones, SMTP 4xx replies and lost mail connections are retried after
``PUSH_RETRY_BASE_SECONDS * 2**(attempts-1)`` seconds, capped at
``PUSH_RETRY_MAX_SECONDS``, until ``PUSH_MAX_ATTEMPTS``; other 3xx/4xx, and DingTalk
errcodes that no retry can fix, fail at once, with the response kept for a person to see.

Texts stored for people (``last_error``, history change reasons) are rendered in
``settings.LANGUAGE_CODE`` when written, whoever triggers the write: a worker, an admin
user whose browser asks for English, a test.
"""

import dataclasses
import functools
import re
import uuid
from datetime import timedelta

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from . import channels, selectors
from .models import REDACTED, Channel, DeliveryStatus, PushDelivery
from .signals import delivery_recorded

# A retry message may run a moment before the ``next_attempt_at`` its own attempt wrote.
CLOCK_TOLERANCE = timedelta(seconds=1)
# The channels of notices to people: written by ``person_notice_enqueue`` only.
PERSON_CHANNELS = (Channel.EMAIL, Channel.SMS, Channel.PORTAL)


@dataclasses.dataclass(frozen=True)
class Notice:
    """What a notice says, for each kind of channel: the webhook's JSON ``document``, and the
    ``title`` and markdown ``text`` that people read (DingTalk, the inbox)."""

    document: dict
    title: str
    text: str


def _in_default_language(func):
    """Run ``func`` with ``settings.LANGUAGE_CODE`` active: the texts it stores are read in the
    Chinese admin, whoever triggered the attempt."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with translation.override(settings.LANGUAGE_CODE):
            return func(*args, **kwargs)

    return wrapper


def enabled_channels(destination=""):
    """The channels configured for ``destination`` (a county's code; empty: the deployment's
    default): the inbox always, the webhook and DingTalk when their endpoint is set."""
    channels_ = [Channel.INBOX]
    if channels.endpoint(Channel.WEBHOOK, destination)[0]:
        channels_.append(Channel.WEBHOOK)
    if channels.endpoint(Channel.DINGTALK, destination)[0]:
        channels_.append(Channel.DINGTALK)
    return channels_


def payload_for(channel, notice: Notice) -> dict:
    """What ``channel`` sends of ``notice``, as stored on its row."""
    if channel == Channel.WEBHOOK:
        return notice.document
    if channel == Channel.DINGTALK:
        return {"msgtype": "markdown", "markdown": {"title": notice.title, "text": notice.text}}
    return {"title": notice.title, "text": notice.text}


# Above this many rows, one transaction's deliveries are handed to the worker in batches
# (``deliver_pushes``), which publishes their tasks: the committing request or import job does not
# wait a broker round trip per row.
FAN_OUT_ABOVE = 20
FAN_OUT_BATCH = 500


def _enqueue_on_commit(delivery_ids):
    # A service may enqueue its own app's tasks on commit: the one allowed arrow from
    # services to tasks (import-linter's layers contract lists it as an exception).
    from .tasks import deliver_push, deliver_pushes  # noqa: PLC0415  (tasks import services)

    # robust: a broker that is down must not turn a committed decision into an error
    # answer; the row is pending and the beat scan enqueues it later.
    if len(delivery_ids) <= FAN_OUT_ABOVE:
        for pk in delivery_ids:
            transaction.on_commit(lambda pk=pk: deliver_push.delay(pk), robust=True)
        return
    for start in range(0, len(delivery_ids), FAN_OUT_BATCH):
        batch = list(delivery_ids[start : start + FAN_OUT_BATCH])
        transaction.on_commit(lambda batch=batch: deliver_pushes.delay(batch), robust=True)


def outbox_enqueue(*, topic, subject, notice: Notice, label="", idempotency_key=None, channels=None, destination=""):
    """Write a notice's outbox rows (one per channel) and enqueue their delivery on commit.

    Call it inside the transaction that decides the notice: the rows commit with it, and no
    task runs before the commit. ``topic`` names the kind of notice (``"<app>.<what>"``),
    ``subject`` is the record it is about, ``label`` what people see of it in the admin;
    ``idempotency_key`` (default: a new UUID) is the key the webhook sends, shared by the
    notice's channels; ``destination`` (a county's code) picks whose endpoints they are sent to
    (``channels.endpoint``), and ``channels`` defaults to ``enabled_channels(destination)``.

    Calling it again for the same topic and subject adds only the missing channels (one row
    per subject, topic and channel; a new row gets the key of the rows already there) and
    re-enqueues the pending ones; delivered rows are never sent again. Returns the rows.
    """
    entry = OutboxEntry(
        subject=subject, notice=notice, label=label, idempotency_key=idempotency_key, destination=destination
    )
    return outbox_enqueue_many(topic=topic, entries=[entry], channels=channels)[0]


@dataclasses.dataclass(frozen=True)
class OutboxEntry:
    """One notice of ``outbox_enqueue_many``: what ``outbox_enqueue`` takes besides the topic."""

    subject: object
    notice: Notice
    label: str = ""
    idempotency_key: uuid.UUID | None = None
    destination: str = ""  # whose endpoints: a county's code, or the deployment's default


def outbox_keys(*, topic, subjects) -> dict:
    """The idempotency key already given to each of ``subjects`` (of one model) for ``topic``, by pk."""
    if not subjects:
        return {}
    subject_type = ContentType.objects.get_for_model(subjects[0])
    rows = PushDelivery.objects.filter(
        subject_type=subject_type, subject_id__in=[s.pk for s in subjects], topic=topic
    ).values_list("subject_id", "idempotency_key")
    return dict(rows)


def outbox_enqueue_many(*, topic, entries, channels=None):
    """``outbox_enqueue`` for many notices of one topic about subjects of one model, in a
    constant number of queries (a file's import, say): the same rows, keys, history rows and
    on-commit enqueues as calling it once for each entry. Returns each entry's rows, in order.
    """
    if not entries:
        return []
    if channels is not None and set(channels) & set(PERSON_CHANNELS):
        raise ValueError("notices to people (e-mail, SMS, the portal inbox) go through person_notice_enqueue")
    subject_type = ContentType.objects.get_for_model(entries[0].subject)
    existing = {}
    for delivery in PushDelivery.objects.filter(
        subject_type=subject_type, subject_id__in=[e.subject.pk for e in entries], topic=topic
    ):
        existing.setdefault(delivery.subject_id, {})[delivery.channel] = delivery
    per_destination = {}
    per_entry, new = [], []
    for entry in entries:
        there = existing.get(entry.subject.pk, {})
        key = next(iter(there.values())).idempotency_key if there else (entry.idempotency_key or uuid.uuid4())
        rows = []
        if channels is not None:
            wanted = channels
        else:
            wanted = per_destination.setdefault(entry.destination, enabled_channels(entry.destination))
        for channel in wanted:
            delivery = there.get(channel)
            if delivery is None:
                delivery = PushDelivery(
                    topic=topic,
                    subject_type=subject_type,
                    subject_id=entry.subject.pk,
                    subject_label=str(entry.label)[:255],
                    channel=channel,
                    destination=entry.destination,
                    idempotency_key=key,
                    payload=payload_for(channel, entry.notice),
                )
                new.append(delivery)
            rows.append(delivery)
        per_entry.append(rows)
    if new:
        # The history rows name whoever the request is from, as a single save's would.
        bulk_create_with_history(new, PushDelivery, batch_size=500)
    _enqueue_on_commit([d.pk for rows in per_entry for d in rows if d.status == DeliveryStatus.PENDING])
    return per_entry


def retry_delay(attempts: int) -> float:
    """Seconds to wait after the ``attempts``-th failed attempt: base × 2^(attempts−1), capped."""
    base = float(settings.PUSH_RETRY_BASE_SECONDS)
    cap = float(settings.PUSH_RETRY_MAX_SECONDS)
    return min(cap, base * 2 ** max(0, attempts - 1))


def lease_seconds() -> float:
    """How long an attempt holds its row: ``PUSH_LEASE_SECONDS``, at least any channel's request timeout."""
    return max(
        float(settings.PUSH_LEASE_SECONDS),
        float(settings.HEALTH_BUREAU_PUSH_TIMEOUT),
        float(settings.SMS_GATEWAY_TIMEOUT),
        float(settings.EMAIL_TIMEOUT),
    )


@dataclasses.dataclass(frozen=True)
class Attempt:
    outcome: str  # delivered | retry | failed | skipped | leased
    retry_in: float | None = None
    detail: str = ""


def _send(delivery):
    """One attempt on the wire for ``delivery``'s channel; raises ``channels.DeliveryError``."""
    if delivery.channel == Channel.INBOX:
        return None  # the inbox is this database: marking it delivered is the delivery
    if delivery.channel == Channel.WEBHOOK:
        body = channels.to_bytes(delivery.payload)
        url, secret = channels.endpoint(Channel.WEBHOOK, delivery.destination)
        return channels.webhook_post(body=body, idempotency_key=str(delivery.idempotency_key), url=url, secret=secret)
    if delivery.channel == Channel.DINGTALK:
        markdown = delivery.payload.get("markdown") or {}
        url, secret = channels.endpoint(Channel.DINGTALK, delivery.destination)
        return channels.dingtalk_post(
            title=markdown.get("title", ""), text=markdown.get("text", ""), url=url, secret=secret
        )
    if delivery.channel == Channel.EMAIL:
        payload = delivery.payload
        return channels.email_send(
            to=payload["to"],
            subject=payload.get("subject", ""),
            text=payload["text"],
            message_id=channels.email_message_id(str(delivery.idempotency_key)),
        )
    if delivery.channel == Channel.SMS:
        payload = delivery.payload
        return channels.sms_post(
            phone=payload["phone"],
            text=payload["text"],
            request_id=str(delivery.idempotency_key),
            destination=delivery.destination,
        )
    if delivery.channel == Channel.PORTAL:
        return None  # the portal inbox is this database, as the bureau's inbox is
    raise channels.PermanentError(f"unknown channel {delivery.channel!r}")


def delivery_claim(*, delivery_id, now=None):
    """Claim outbox row ``delivery_id`` for one attempt, in one short transaction.

    Changes in the world: sets the row's lease (``locked_until`` = now + ``lease_seconds()``)
    if the row is pending, due, and not leased by another attempt; nothing else (no attempt
    is counted, no history row). Returns ``(delivery, None)`` with the claimed row, or
    ``(None, Attempt)`` saying why it was left alone: ``leased`` (with ``retry_in``, the
    seconds until the other lease expires) or ``skipped``.
    """
    now = now or timezone.now()
    lease = now + timedelta(seconds=lease_seconds())
    with transaction.atomic():
        claimed = (
            PushDelivery.objects.filter(pk=delivery_id, status=DeliveryStatus.PENDING)
            .filter(Q(locked_until__isnull=True) | Q(locked_until__lte=now))
            .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now + CLOCK_TOLERANCE))
            .update(locked_until=lease)
        )
    delivery = PushDelivery.objects.filter(pk=delivery_id).first()
    if claimed:
        return delivery, None
    if delivery is None:
        return None, Attempt("skipped", detail="no such delivery")
    if delivery.status != DeliveryStatus.PENDING:
        return None, Attempt("skipped", detail=f"already {delivery.status}")
    if delivery.locked_until and delivery.locked_until > now:
        wait = (delivery.locked_until - now).total_seconds()
        return None, Attempt("leased", retry_in=wait, detail="leased by another attempt")
    return None, Attempt("skipped", detail="a retry is scheduled for later")


def _apply_outcome(delivery, *, response=None, error=None):
    """Set the row's fields from one attempt's outcome; return the retry delay, if any."""
    delivery.attempts += 1
    retry_in = None
    if error is None:
        delivery.status, delivery.delivered_at, delivery.next_attempt_at = (
            DeliveryStatus.DELIVERED,
            timezone.now(),
            None,
        )
        delivery.last_error = ""
        if response is not None:
            delivery.last_response_status = response.status_code
            delivery.last_response_body = response.text[: channels.KEPT_BODY_CHARS]
        return None
    if isinstance(error, channels.DeliveryError):
        delivery.last_error = str(error)
        delivery.last_response_status, delivery.last_response_body = error.status, error.body
        retryable = isinstance(error, channels.TransientError)
    else:  # a bug must not lose the row: record it and retry like a transient error
        delivery.last_error = f"{type(error).__name__}: {error}"
        retryable = True
    if retryable and delivery.attempts < settings.PUSH_MAX_ATTEMPTS:
        retry_in = retry_delay(delivery.attempts)
        delivery.next_attempt_at = timezone.now() + timedelta(seconds=retry_in)
    else:
        delivery.status, delivery.next_attempt_at = DeliveryStatus.FAILED, None
    return retry_in


@_in_default_language
def delivery_attempt(*, delivery_id) -> Attempt:
    """Make one delivery attempt for outbox row ``delivery_id``, if it is due and free.

    Changes in the world, in three steps:
    1. claim (``delivery_claim``): a short transaction sets the row's lease; a row that is
       leased by another attempt, already delivered or failed, or whose retry is not due
       yet, is left alone;
    2. with no transaction open: at most one request to the channel (webhook POST with the
       stored payload, DingTalk message; the inbox needs none);
    3. record, in a second short transaction, if the lease is still ours: ``attempts`` + 1,
       then ``delivered`` with ``delivered_at``, or ``last_error`` (and the response status
       and body) with ``next_attempt_at`` for a retry, or ``failed``; the lease is released,
       a history row of the delivery is written, and ``delivery_recorded`` is sent so the
       sender records what the outcome means (a registration's push status).

    Safe to run concurrently and again: a second worker cannot claim a leased row before its
    lease expires. If the worker dies mid-request nothing was recorded but the lease; once
    it expires the next attempt sends again with the same Idempotency-Key and bytes.
    """
    delivery, refused = delivery_claim(delivery_id=delivery_id)
    if refused is not None:
        return refused
    lease = delivery.locked_until
    response = error = None
    try:
        response = _send(delivery)
    except Exception as exc:  # noqa: BLE001  (recorded on the row; see _apply_outcome)
        error = exc
    with transaction.atomic():
        row = PushDelivery.objects.select_for_update().filter(pk=delivery_id).first()
        if row is None or row.locked_until != lease or row.status != DeliveryStatus.PENDING:
            # Our lease expired and another attempt took the row over: its outcome is the record.
            return Attempt("skipped", detail="the lease expired before the outcome was recorded")
        retry_in = _apply_outcome(row, response=response, error=error)
        row.locked_until = None
        if row.secret:
            _redact(row, error=error, done=row.status != DeliveryStatus.PENDING)
        row.save()
        if row.secret:
            _history_redact(row)
        delivery_recorded.send(sender=PushDelivery, delivery=row, actor=None, reason="")
    if row.status == DeliveryStatus.DELIVERED:
        return Attempt("delivered")
    if row.status == DeliveryStatus.FAILED:
        return Attempt("failed", detail=row.last_error)
    return Attempt("retry", retry_in=retry_in, detail=row.last_error)


@_in_default_language
@transaction.atomic
def deliveries_requeue(*, delivery_ids, actor=None) -> int:
    """Give failed deliveries a fresh set of attempts and enqueue them on commit.

    Changes in the world: each failed row goes back to ``pending`` with ``attempts`` 0
    (its last error is kept, prefixed with who re-queued it), and a delivery task is
    enqueued; ``delivery_recorded`` tells the sender (the registry sets the registration's
    push status back to pending). Who re-queued it and when stays in the history of the
    delivery (``actor`` as the history user, with the reason), after later attempts have
    overwritten ``last_error``. The Idempotency-Key stays the same. Rows that are not
    failed are left alone, and so are secret ones (their text is gone: their sender starts a
    new step, a new invitation or reset). Returns how many were re-queued.
    """
    rows = list(
        PushDelivery.objects.select_for_update().filter(
            pk__in=list(delivery_ids), status=DeliveryStatus.FAILED, secret=False
        )
    )
    who = getattr(actor, "username", None) or _("system")
    for delivery in rows:
        reason = _("Re-queued by %(user)s after %(attempts)d attempts") % {"user": who, "attempts": delivery.attempts}
        delivery.last_error = f"[{reason}] {delivery.last_error}"
        delivery.status, delivery.attempts, delivery.next_attempt_at = DeliveryStatus.PENDING, 0, None
        delivery.locked_until = None
        delivery._history_user, delivery._change_reason = actor, reason[:100]
        delivery.save()
        delivery_recorded.send(sender=PushDelivery, delivery=delivery, actor=actor, reason=reason)
    _enqueue_on_commit([d.pk for d in rows])
    return len(rows)


def pending_pushes_enqueue(*, now=None) -> int:
    """Enqueue a delivery task for every pending row whose task may have been lost.

    That is a row that is due (``next_attempt_at`` passed) or new (none) for more than
    ``PUSH_SCAN_GRACE_SECONDS``, and not leased by an attempt in progress: its message was
    lost (Redis lost data, a worker died, the publish after the commit failed). Enqueueing
    one that is already queued costs a skipped task, never a second delivery. At most
    ``PUSH_SCAN_BATCH`` per run. Returns how many were enqueued.
    """
    from .tasks import deliver_push  # noqa: PLC0415  (see _enqueue_on_commit)

    ids = list(selectors.deliveries_due(now=now)[: settings.PUSH_SCAN_BATCH].values_list("pk", flat=True))
    for pk in ids:
        deliver_push.delay(pk)
    return len(ids)


# --- Notices to people: e-mail, SMS, the institution's portal inbox ------------------------

_MOBILE = re.compile(r"^1[3-9]\d{9}$")


def _mobile(phone: str) -> str:
    """``phone`` as the gateway takes it (11 digits, no +86, no spaces or dashes), or ValidationError."""
    digits = re.sub(r"[\s-]", "", phone or "")
    digits = re.sub(r"^(\+86|0086)", "", digits)
    if not _MOBILE.match(digits):
        raise ValidationError({"phone": _("Enter a mainland mobile number (11 digits) to send an SMS to.")})
    return digits


def _redacted(payload: dict) -> dict:
    return {**payload, "text": REDACTED} if "text" in payload else payload


def _secret_error(error) -> str:
    """What a secret row keeps of a failed attempt: the status code (or, without one, the name of
    the failure's exception class), never the other side's words nor an exception's text. A
    gateway or mail server may echo the text in any spelling (JSON escapes, URL encoding, a part
    of it), so nothing it said is kept."""
    status = getattr(error, "status", None)
    if status is not None:
        message = _("Not delivered: the other side answered with status %(status)s (a secret notice keeps no details).")
        return message % {"status": status}
    kind = type(getattr(error, "__cause__", None) or error).__name__
    return _("Not delivered: %(kind)s (a secret notice keeps no details).") % {"kind": kind}


def _redact(row, *, error, done: bool):
    """Keep nothing of a secret row's text: in the payload once ``done`` (delivered or failed),
    and nothing of what the other side answered (``last_response_body`` empty; ``last_error``
    only ``_secret_error``'s generic message). ``last_response_status`` is kept."""
    row.last_response_body = ""
    row.last_error = "" if error is None else _secret_error(error)
    if done:
        row.payload = _redacted(row.payload)


def _history_redact(row):
    """No history row of a secret delivery keeps its text, even while the row itself still must,
    nor any answer of the other side (their ``last_error`` was written by ``_redact`` already)."""
    PushDelivery.history.filter(id=row.pk).update(payload=_redacted(row.payload), last_response_body="")


@transaction.atomic
def person_notice_enqueue(
    *,
    topic: str,
    subject,
    title: str,
    text: str,
    email: str = "",
    phone: str = "",
    secret: bool = False,
    label: str = "",
    destination: str = "",
    inbox: bool = True,
) -> list[PushDelivery]:
    """Write a notice to a person (an institution's people) into the outbox, in the caller's
    transaction, and enqueue its delivery on commit.

    Changes in the world: one outbox row per channel the person can be reached on,
    - ``email`` (``Channel.EMAIL``): when ``email`` is given and e-mail is configured
      (``EMAIL_HOST``); sent over SMTP, ``title`` as the subject and ``text`` as the body;
    - ``sms`` (``Channel.SMS``): when ``phone`` (a mainland mobile) is given and the SMS gateway of
      ``destination`` (a county's code; empty: the deployment's) is configured; sends ``text``;
    - ``portal`` (``Channel.PORTAL``): when neither of those goes out and ``inbox`` is true, one
      row that is the message itself, in the portal inbox of whoever sees ``subject`` (its scope
      is the subject's, as for every delivery: give an institution, or one of its records whose
      model declares its ``ScopePath``). It counts as delivered at once (``delivery_recorded`` is
      sent) and enqueues no task.
    Returns the rows; an empty list when nothing can go out: the caller then tells the bureau
    to print the notice or hand it over.

    ``secret=True`` (an invitation link, a reset link, a one-time code): ``text`` is sent but
    never kept readable. The row holds it only until its attempt delivers it or it fails for
    good; then the stored payload keeps ``REDACTED`` instead (the title and the recipient stay).
    No history row ever holds it, nor any answer of the other side (which may echo it): the row
    and its history keep the response's status code and a generic error, never the response's
    body or the error's text. The admin never shows it, a failed secret row is never
    re-queued, and a secret never falls back to the portal inbox. Put the secret in ``text``
    only, never in ``title`` or ``label``.

    Once per step: the outbox keeps one row per ``topic``, ``subject`` and channel. Calling
    this again for the same step returns the rows already there (adding a channel configured
    since) and sends nothing twice. So a step that may be repeated needs its own subject or
    topic: an invitation or reset is its own record (subject: that invitation / reset token,
    topic e.g. ``"accounts.invitation"``), so sending it again is a new record and a
    new notice; a notice about a record's state names the state in the topic
    (``"inspections.order_due:2027-03-01"``).

    ``topic`` is at most 64 characters; ``label`` is what the bureau sees of the notice in the
    admin and the institution in its inbox's list (default: ``title``). A malformed ``email`` or
    ``phone`` raises ``ValidationError`` keyed by that field and writes nothing.
    """
    errors = {}
    if not (title or "").strip():
        errors["title"] = _("A notice needs a title.")
    if not (text or "").strip():
        errors["text"] = _("A notice needs a text.")
    email = (email or "").strip()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            errors["email"] = _("Enter a valid e-mail address to send the notice to.")
    if phone:
        try:
            phone = _mobile(phone)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)

    wanted = {}
    if email and channels.email_configured():
        wanted[Channel.EMAIL] = {"to": email, "subject": title, "text": text}
    if phone and channels.sms_configured(destination):
        wanted[Channel.SMS] = {"phone": phone, "text": text}
    if not wanted and inbox and not secret:
        wanted[Channel.PORTAL] = {"title": title, "text": text}
    if not wanted:
        return []

    subject_type = ContentType.objects.get_for_model(subject)
    there = {
        d.channel: d for d in PushDelivery.objects.filter(subject_type=subject_type, subject_id=subject.pk, topic=topic)
    }
    key = next(iter(there.values())).idempotency_key if there else uuid.uuid4()
    now = timezone.now()
    rows, new = [], []
    for channel, payload in wanted.items():
        delivery = there.get(channel)
        if delivery is None:
            delivery = PushDelivery(
                topic=topic,
                subject_type=subject_type,
                subject_id=subject.pk,
                subject_label=str(label or title)[:255],
                channel=channel,
                destination=destination,
                idempotency_key=key,
                payload=payload,
                secret=secret,
            )
            if channel == Channel.PORTAL:
                delivery.status, delivery.delivered_at = DeliveryStatus.DELIVERED, now
            delivery.full_clean(validate_unique=False, validate_constraints=False)
            new.append(delivery)
        rows.append(delivery)
    if new:
        bulk_create_with_history(new, PushDelivery)
        for delivery in new:
            if delivery.secret:
                _history_redact(delivery)
            if delivery.status == DeliveryStatus.DELIVERED:
                delivery_recorded.send(sender=PushDelivery, delivery=delivery, actor=None, reason="")
    _enqueue_on_commit([d.pk for d in rows if d.status == DeliveryStatus.PENDING])
    return rows


@transaction.atomic
def portal_message_read(*, delivery, user) -> PushDelivery:
    """Mark a portal inbox message as read by ``user``, the first time one of its readers opens it.

    Changes in the world: ``read_at`` (now) and ``read_by`` (``user``) are set once, with a history
    row naming ``user``; opening it again changes nothing. The caller has found ``delivery`` through
    ``selectors.portal_messages(user)``, so it is a PORTAL row that ``user`` sees.
    """
    if delivery.channel != Channel.PORTAL:
        raise ValidationError({"channel": _("Only a portal inbox message can be marked as read.")})
    row = PushDelivery.objects.select_for_update().get(pk=delivery.pk)
    if row.read_at is None:
        row.read_at, row.read_by = timezone.now(), user
        row._history_user = user
        row.save(update_fields=["read_at", "read_by", "updated_at"])
    return row
