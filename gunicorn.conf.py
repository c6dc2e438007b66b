"""gunicorn's configuration, read from the working directory (/app in the image).

Production serves on PostgreSQL and Redis only: the master refuses to start, before it binds
its port, when ``DJANGO_DEBUG=false`` and ``DATABASE_URL`` or ``REDIS_URL`` is missing
(``luchen_care.serving``; ``wsgi.py`` checks again for any other WSGI server).
"""

import os


def on_starting(server):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "luchen_care.settings")
    from luchen_care.serving import ServicesMissing, require_services

    try:
        require_services("gunicorn")
    except ServicesMissing as exc:
        raise SystemExit(str(exc)) from None
