"""The registry's pages in the institution portal, under /portal/ (``luchen_care.urls``)."""

from django.urls import path

from .views import documents, signups

app_name = "registry_portal"

urlpatterns = [
    path("documents/", documents.documents, name="documents"),
    path("signup/", signups.signup, name="signup"),
    path("signup/code/", signups.signup_confirm, name="signup-confirm"),
    path("signup/pending/", signups.signup_pending, name="signup-pending"),
]
