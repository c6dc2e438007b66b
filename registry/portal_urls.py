"""The registry's pages in the institution portal, under /portal/ (``luchen_care.urls``)."""

from django.urls import path

from .views import documents, filings, signups

app_name = "registry_portal"

urlpatterns = [
    path("documents/", documents.documents, name="documents"),
    path("signup/", signups.signup, name="signup"),
    path("signup/code/", signups.signup_confirm, name="signup-confirm"),
    path("signup/pending/", signups.signup_pending, name="signup-pending"),
    # The institution's filings (备案): list and open, one filing, its steps, sections, materials, documents.
    path("filings/", filings.filings, name="filings"),
    path("filings/<int:pk>/", filings.filing, name="filing"),
    path("filings/<int:pk>/submit/", filings.filing_submit, name="filing-submit"),
    path("filings/<int:pk>/withdraw/", filings.filing_withdraw, name="filing-withdraw"),
    path("filings/<int:pk>/documents/<int:document_pk>/", filings.filing_document, name="filing-document"),
    path("filings/<int:pk>/sections/<slug:key>/", filings.filing_section, name="filing-section"),
    path("filings/<int:pk>/sections/<slug:key>/materials/", filings.filing_material, name="filing-material"),
]
