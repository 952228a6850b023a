"""API routes of the app, included under /api/v1/ in the \"api\" namespace."""

from rest_framework.routers import SimpleRouter
from rest_framework.urlpatterns import format_suffix_patterns

from apps.labels.api.views import LabelClassViewSet, LabelViewSet

router = SimpleRouter()
router.register("label-classes", LabelClassViewSet, basename="label-class")
router.register("labels", LabelViewSet, basename="label")

# The format suffixes (plots.json) the routes had from the project's former DefaultRouter.
urlpatterns = format_suffix_patterns(router.urls)
