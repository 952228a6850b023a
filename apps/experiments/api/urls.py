"""API routes of the app, included under /api/v1/ in the \"api\" namespace."""

from rest_framework.routers import SimpleRouter
from rest_framework.urlpatterns import format_suffix_patterns

from apps.experiments.api.views import CampaignViewSet, ExperimentViewSet, RunPeriodViewSet, RunViewSet

router = SimpleRouter()
router.register("experiments", ExperimentViewSet, basename="experiment")
router.register("run-periods", RunPeriodViewSet, basename="run-period")
router.register("runs", RunViewSet, basename="run")
router.register("campaigns", CampaignViewSet, basename="campaign")

# The format suffixes (plots.json) the routes had from the project's former DefaultRouter.
urlpatterns = format_suffix_patterns(router.urls)
