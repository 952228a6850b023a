"""API routes of the app, included under /api/v1/ in the \"api\" namespace."""

from rest_framework.routers import SimpleRouter

from apps.notifications.api.views import DeliveryViewSet

router = SimpleRouter()
router.register("deliveries", DeliveryViewSet, basename="delivery")

urlpatterns = router.urls
