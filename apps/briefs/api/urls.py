"""API routes of the app, included under /api/v1/ in the \"api\" namespace."""

from rest_framework.routers import SimpleRouter

from apps.briefs.api.views import BriefViewSet

router = SimpleRouter()
router.register("briefs", BriefViewSet, basename="brief")

urlpatterns = router.urls
