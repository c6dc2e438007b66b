"""The portal's account pages, under /portal/ (``luchen_care.urls``)."""

from django.urls import path

from .views import portal as views

app_name = "accounts_portal"

urlpatterns = [
    path("invitation/", views.invitation, name="invitation"),
    path("password-reset/", views.password_reset, name="password_reset"),
    path("password-reset/confirm/", views.password_reset_confirm, name="password_reset_confirm"),
    path("account/", views.account, name="account"),
    path("colleagues/", views.colleagues, name="colleagues"),
    path("colleagues/invite/", views.colleague_invite, name="colleague_invite"),
    path("colleagues/<int:pk>/remove/", views.colleague_remove, name="colleague_remove"),
    path("colleagues/<int:pk>/administrator/", views.colleague_make_administrator, name="colleague_administrator"),
    path("colleagues/invitations/<int:pk>/revoke/", views.invitation_revoke, name="invitation_revoke"),
    path("colleagues/invitations/<int:pk>/reissue/", views.invitation_reissue, name="invitation_reissue"),
]
