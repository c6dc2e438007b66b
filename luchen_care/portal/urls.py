"""The portal shell's own pages (sign-in, sign-out…); each domain app adds its portal pages in its
own URL module, under /portal/ too (``luchen_care.urls``)."""

from django.urls import path

from luchen_care.exchange import views as exchange_views

from . import views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.PortalLoginView.as_view(), name="login"),
    path("logout/", views.PortalLogoutView.as_view(), name="logout"),
    # The institution's inbox: notices that reached it through no other channel (luchen_care.exchange).
    path("inbox/", exchange_views.inbox, name="inbox"),
    path("inbox/<int:pk>/", exchange_views.inbox_message, name="inbox-message"),
]
