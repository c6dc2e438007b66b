"""The public verification pages (/verify/), for whoever holds a document."""

from django.urls import path

from . import views

app_name = "documents"

urlpatterns = [
    path("", views.verify_form, name="verify-form"),
    path("<str:code>/", views.verify_code, name="verify"),
]
