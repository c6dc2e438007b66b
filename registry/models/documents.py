"""The institution's own documents: what each file it uploads is (``StoredFile.purpose``).

The files themselves are ``luchen_care.files.StoredFile`` rows whose subject is the institution;
these keys name them, under the registry's prefix.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class InstitutionDocument(models.TextChoices):
    BUSINESS_LICENCE = "registry.business_licence", _("Business licence")
    REGISTRATION_CERTIFICATE = "registry.registration_certificate", _("Registration certificate")
    FIRE_SAFETY = "registry.fire_safety", _("Fire safety approval")
    OTHER = "registry.other", _("Other document")
