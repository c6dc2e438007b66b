from django.contrib import admin
from django.urls import include, path
from django.views.generic import TemplateView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from luchen_care.accounts.api import ObtainTokenView
from luchen_care.core.views import healthz

admin.site.site_header = "鹿城托育综合监管平台"
admin.site.site_title = "鹿城托育综合监管平台"
admin.site.index_title = "监管工作台"

api_v1 = [
    path("auth/token/", ObtainTokenView.as_view(), name="token"),
    path("", include("registry.api.urls")),
]

urlpatterns = [
    path("", TemplateView.as_view(template_name="home.html"), name="home"),
    path("healthz", healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", include((api_v1, "api"), namespace="api")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
]
