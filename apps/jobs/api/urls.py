"""API routes of the app, included under /api/v1/ in the \"api\" namespace."""

from rest_framework.routers import SimpleRouter
from rest_framework.urlpatterns import format_suffix_patterns

from apps.jobs.api.views import JobViewSet

router = SimpleRouter()
router.register("jobs", JobViewSet, basename="job")

# The format suffixes (plots.json) the routes had from the project's former DefaultRouter.
urlpatterns = format_suffix_patterns(router.urls)
