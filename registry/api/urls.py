from rest_framework.routers import DefaultRouter

from .views import InstitutionViewSet, StreetViewSet

router = DefaultRouter()
router.register("institutions", InstitutionViewSet, basename="institution")
router.register("streets", StreetViewSet, basename="street")

urlpatterns = router.urls
