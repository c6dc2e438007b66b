import gc
import os

from django.core.wsgi import get_wsgi_application

from luchen_care.serving import require_services

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "luchen_care.settings")

# gunicorn (and any WSGI server) serves through here: production needs its database and broker.
require_services("The WSGI application", web=True)
application = get_wsgi_application()

# Everything loaded so far lives as long as the process: keep it out of the garbage
# collector's generations so collections stay short (p95 latency).
gc.freeze()
