from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults

from .api.errors import error_body
from .health import health_report


def no_store(response):
    """``response`` kept by no browser or proxy: a page holding a key, a link's token, a code."""
    response["Cache-Control"] = "no-store"
    return response


def healthz(request):
    """The dependencies' health, for the container health check and load balancers: 200 with
    ``ok``, or 503 with ``degraded`` and the failing dependency named (``core.health``)."""
    report = health_report()
    return no_store(JsonResponse(report, status=200 if report["status"] == "ok" else 503))


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
