"""The registry's pages in the institution portal, under /portal/ (``luchen_care.urls``)."""

from django.urls import path

from .views import documents

app_name = "registry_portal"

urlpatterns = [
    path("documents/", documents.documents, name="documents"),
]
