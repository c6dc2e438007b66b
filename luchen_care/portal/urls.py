"""The portal shell's own pages (sign-in, sign-out…); each domain app adds its portal pages in its
own URL module, under /portal/ too (``luchen_care.urls``)."""

from django.urls import path

from . import views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.PortalLoginView.as_view(), name="login"),
    path("logout/", views.PortalLogoutView.as_view(), name="logout"),
]
