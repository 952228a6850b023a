"""The REST API under /api/v1/ and its OpenAPI schema and docs."""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.permissions import AllowAny
from rest_framework.routers import DefaultRouter

from apps.accounts.api.views import ApiTokenViewSet, TokenExchangeView
from apps.core.api.exceptions import not_found
from apps.experiments.api.views import CampaignViewSet, ExperimentViewSet, RunPeriodViewSet, RunViewSet
from apps.jobs.api.views import JobViewSet
from apps.labels.api.views import LabelClassViewSet, LabelViewSet
from apps.monitoring.api.views import ClassificationViewSet, ClassifierModelViewSet
from apps.plots.api.views import PlotGroupViewSet, PlotTypeViewSet, PlotViewSet
from apps.validation.api.views import EmbeddingSpaceViewSet, ValidationReportViewSet, ValidationThresholdViewSet

router = DefaultRouter()
router.register("experiments", ExperimentViewSet, basename="experiment")
router.register("run-periods", RunPeriodViewSet, basename="run-period")
router.register("runs", RunViewSet, basename="run")
router.register("campaigns", CampaignViewSet, basename="campaign")
router.register("plot-types", PlotTypeViewSet, basename="plot-type")
router.register("plot-groups", PlotGroupViewSet, basename="plot-group")
router.register("label-classes", LabelClassViewSet, basename="label-class")
router.register("plots", PlotViewSet, basename="plot")
router.register("labels", LabelViewSet, basename="label")
router.register("jobs", JobViewSet, basename="job")
router.register("tokens", ApiTokenViewSet, basename="token")
router.register("models", ClassifierModelViewSet, basename="model")
router.register("classifications", ClassificationViewSet, basename="classification")
router.register("validation-reports", ValidationReportViewSet, basename="validation-report")
router.register("validation-maps", EmbeddingSpaceViewSet, basename="validation-map")
router.register("validation-thresholds", ValidationThresholdViewSet, basename="validation-threshold")

# Every API route lives in the "api" namespace ("api:model-train"), so that a page URL name such as
# "model-train" can never resolve to the router's route of the same name.
app_name = "api"

urlpatterns = [
    path("v1/auth/token/", TokenExchangeView.as_view(), name="auth-token"),
    path("v1/", include(router.urls)),
    # Apps above the core own their routes (apps/<app>/api/urls.py).
    path("v1/", include("apps.notifications.api.urls")),
    path("v1/", include("apps.alerts.api.urls")),
    path("v1/", include("apps.operations.api.urls")),
    path("v1/", include("apps.briefs.api.urls")),
    # The schema and the docs describe the API; they are public even when reads need a login.
    path("schema/", SpectacularAPIView.as_view(permission_classes=[AllowAny]), name="schema"),
    path(
        "docs/",
        SpectacularSwaggerView.as_view(url_name="api:schema", permission_classes=[AllowAny]),
        name="docs",
    ),
    re_path(r"^.*$", not_found),
]
