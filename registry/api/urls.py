from rest_framework.routers import DefaultRouter

from .registrations import RegistrationViewSet
from .views import InstitutionViewSet, StreetViewSet

router = DefaultRouter()
router.register("institutions", InstitutionViewSet, basename="institution")
router.register("streets", StreetViewSet, basename="street")
router.register("registrations", RegistrationViewSet, basename="registration")

urlpatterns = router.urls
