"""API routes of the app, included under /api/v1/ in the \"api\" namespace."""

from rest_framework.routers import SimpleRouter
from rest_framework.urlpatterns import format_suffix_patterns

from apps.validation.api.views import EmbeddingSpaceViewSet, ValidationReportViewSet, ValidationThresholdViewSet

router = SimpleRouter()
router.register("validation-reports", ValidationReportViewSet, basename="validation-report")
router.register("validation-maps", EmbeddingSpaceViewSet, basename="validation-map")
router.register("validation-thresholds", ValidationThresholdViewSet, basename="validation-threshold")

# The format suffixes (plots.json) the routes had from the project's former DefaultRouter.
urlpatterns = format_suffix_patterns(router.urls)
