from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from luchen_care.accounts.api import ObtainTokenView
from luchen_care.core.views import healthz

# Titles are translated like everything else: 鹿城托育综合监管平台 / 监管工作台 in Chinese.
admin.site.site_header = _("Lucheng Childcare Supervision Platform")
admin.site.site_title = _("Lucheng Childcare Supervision Platform")
admin.site.index_title = _("Supervision workbench")
# The institution list is wide; the home page and breadcrumbs are navigation enough.
admin.site.enable_nav_sidebar = False

api_v1 = [
    path("auth/token/", ObtainTokenView.as_view(), name="token"),
    path("", include("registry.api.urls")),
]

handler404 = "luchen_care.core.views.not_found"
handler500 = "luchen_care.core.views.server_error"

urlpatterns = [
    path("", TemplateView.as_view(template_name="home.html"), name="home"),
    path("healthz", healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", include((api_v1, "api"), namespace="api")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
]
