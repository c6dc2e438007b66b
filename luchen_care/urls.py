from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from luchen_care.accounts.api import ObtainTokenView, RotateTokenView
from luchen_care.accounts.views import TwoFactorView
from luchen_care.core.views import healthz
from registry.api.filings import FilingViewSet
from registry.api.institutions import InstitutionViewSet
from registry.api.registrations import RegistrationViewSet
from registry.api.streets import StreetViewSet

# The admin's name and issuing body come from the county record (``branding`` in every template,
# ``luchen_care.regions.branding``); these stand where a template has no request (an e-mail).
admin.site.site_header = _("Childcare Supervision Platform")
admin.site.site_title = _("Childcare Supervision Platform")
admin.site.index_title = _("Supervision workbench")
# The institution list is wide; the home page and breadcrumbs are navigation enough.
admin.site.enable_nav_sidebar = False

# The one API router: every app registers its resources here, under /api/v1/.
router = DefaultRouter()
router.register("institutions", InstitutionViewSet, basename="institution")
router.register("streets", StreetViewSet, basename="street")
router.register("registrations", RegistrationViewSet, basename="registration")
router.register("filings", FilingViewSet, basename="filing")

api_v1 = [
    path("auth/token/", ObtainTokenView.as_view(), name="token"),
    path("auth/token/rotate/", RotateTokenView.as_view(), name="token-rotate"),
    *router.urls,
]

handler404 = "luchen_care.core.views.not_found"
handler500 = "luchen_care.core.views.server_error"

urlpatterns = [
    path("", TemplateView.as_view(template_name="home.html"), name="home"),
    path("healthz", healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/two-factor/", TwoFactorView.as_view(), name="two_factor"),
    path("admin/", admin.site.urls),
    path("imports/", include("luchen_care.core.imports.urls")),
    path("portal/", include("luchen_care.portal.urls")),
    path("verify/", include("luchen_care.documents.urls")),
    path("portal/", include("registry.portal_urls")),
    # Uploaded files: scoped, logged downloads; the media folder itself has no URL.
    path("files/", include("luchen_care.files.urls")),
    path("api/v1/", include((api_v1, "api"), namespace="api")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its script from this URL (?script): no inline script under the CSP.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    # The portal's account pages: invitations, password reset, my account, colleagues.
    path("portal/", include("luchen_care.accounts.urls")),
]
