"""API routes of the app, included under /api/v1/ in the \"api\" namespace."""

from rest_framework.routers import SimpleRouter
from rest_framework.urlpatterns import format_suffix_patterns

from apps.plots.api.views import PlotGroupViewSet, PlotTypeViewSet, PlotViewSet

router = SimpleRouter()
router.register("plot-types", PlotTypeViewSet, basename="plot-type")
router.register("plot-groups", PlotGroupViewSet, basename="plot-group")
router.register("plots", PlotViewSet, basename="plot")

# The format suffixes (plots.json) the routes had from the project's former DefaultRouter.
urlpatterns = format_suffix_patterns(router.urls)
