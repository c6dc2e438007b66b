from django.urls import path

from . import views

urlpatterns = [
    path("<uuid:pk>/", views.import_job_page, name="import-job"),
    path("<uuid:pk>/status/", views.import_job_status, name="import-job-status"),
]
