"""What the outbox announces to the apps that send through it.

``delivery_recorded(delivery, actor, reason)`` is sent in the short transaction that
records a delivery's attempt (delivered, failed, or a retry scheduled) and in the one that
re-queues it:

- ``delivery``: the ``PushDelivery`` row as just saved (its ``topic``, ``subject_type`` and
  ``subject_id`` say whose notice it is);
- ``actor``: the user who re-queued it, ``None`` for the worker;
- ``reason``: why, for people, when a person acted (the re-queue's message), else ``""``.

A sender subscribes in its ``AppConfig.ready()``, looks at ``delivery.topic`` and records
what the outcome means for its own records (a registration's push status, a digest's
channels); it runs in the outbox's transaction, so both commit together.
"""

from django.dispatch import Signal

delivery_recorded = Signal()
