"""gunicorn's configuration, read from the working directory (/app in the image).

Production serves on PostgreSQL and Redis only: the master refuses to start, before it binds
its port, when ``DJANGO_DEBUG=false`` and ``DATABASE_URL`` or ``REDIS_URL`` is missing, or the
static files' manifest has not been collected (``luchen_care.serving``; ``wsgi.py`` checks again
for any other WSGI server).

Access log: one JSON line per request on standard output, with the request id the app answers
in ``X-Request-ID`` (the same id as the app's own log lines of that request).
"""

import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
# gunicorn 27's control socket (~/.gunicorn/gunicorn.ctl) is not used: the image's user cannot write
# its home, and two gunicorns on one host would share it.
control_socket_disable = True
accesslog = "-"
access_log_format = (
    '{"time": "%(t)s", "event": "request", "request_id": "%({x-request-id}o)s", "remote": "%(h)s", '
    '"method": "%(m)s", "path": "%(U)s", "status": %(s)s, "bytes": "%(B)s", "ms": %(M)s}'
)


def on_starting(server):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "luchen_care.settings")
    from luchen_care.serving import ServicesMissing, require_services

    try:
        require_services("gunicorn", web=True)
    except ServicesMissing as exc:
        raise SystemExit(str(exc)) from None
