"""One id per request, on every log line the request causes and on its answer (``X-Request-ID``).

The reverse proxy may send its own ``X-Request-ID`` (letters, digits, ``-``, 8 to 64 characters);
otherwise one is made here. Log lines outside a request carry the Celery task's id when a task
logs them, else ``-``. ``RequestIdFilter`` puts it on each record as ``request_id``; the
production log format (``LOG_FORMAT=json``) writes one JSON object per line with it.
"""

import contextvars
import logging
import re
import uuid

from celery import current_task
from django.core.signals import request_finished, request_started

_current = contextvars.ContextVar("request_id", default=None)
_VALID = re.compile(r"^[A-Za-z0-9-]{8,64}$")


def current_request_id() -> str:
    request_id = _current.get()
    if request_id:
        return request_id
    if current_task and current_task.request.id:
        return f"task-{current_task.request.id}"
    return "-"


# Set when the request starts and cleared when it has finished, not inside a middleware: Django
# logs a 4xx/5xx answer (django.request) after the middleware chain has returned.
def _start(sender, environ=None, **kwargs):
    sent = (environ or {}).get("HTTP_X_REQUEST_ID", "")
    _current.set(sent if _VALID.match(sent) else uuid.uuid4().hex)


def _finish(sender, **kwargs):
    _current.set(None)


request_started.connect(_start, dispatch_uid="luchen_care.request_id.start")
request_finished.connect(_finish, dispatch_uid="luchen_care.request_id.finish")


class RequestIdMiddleware:
    """Puts the request's id on ``request.request_id`` and on the answer's ``X-Request-ID``."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not _current.get():  # a request that did not pass through the handler's signals
            _start(None, request.META)
        request.request_id = _current.get()
        response = self.get_response(request)
        response["X-Request-ID"] = request.request_id
        return response


class RequestIdFilter(logging.Filter):
    def filter(self, record):
        record.request_id = current_request_id()
        return True
