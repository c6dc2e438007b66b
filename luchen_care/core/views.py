from django.db import connection
from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults

from .api.errors import error_body


def healthz(request):
    """Liveness and database reachability, for the container health check and load balancers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def _is_api(request):
    return request.path.startswith("/api/")


def not_found(request, exception):
    """404: the API's error format under /api/, the Chinese page elsewhere."""
    if _is_api(request):
        return JsonResponse(error_body("not_found", _("Not found.")), status=404)
    return defaults.page_not_found(request, exception)


def server_error(request):
    """500: the API's error format under /api/, the Chinese page elsewhere."""
    if _is_api(request):
        return JsonResponse(
            error_body("server_error", _("Something went wrong on our side; nothing was saved. Try again later.")),
            status=500,
        )
    return defaults.server_error(request)
