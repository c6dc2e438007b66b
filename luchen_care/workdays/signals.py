"""What the working-day calendar announces.

``working_days_changed(days, cause, actor)`` is sent by every write of ``services``, inside
its transaction, once the override rows are saved or deleted:

- ``days``: the dates whose status may have changed (sorted, distinct; a moved row gives
  its old and new date);
- ``cause``: why, for people (already translated, e.g. "working-day override 2026-03-04 added");
- ``actor``: the user who made the change.

An app that keeps deadlines counted in working days subscribes in its ``AppConfig.ready()``
and recounts them in the receiver: it runs in the same transaction, so the calendar and the
deadlines commit together, and an error in a receiver rolls the change back. The calendar
itself knows none of its subscribers.
"""

from django.dispatch import Signal

working_days_changed = Signal()
