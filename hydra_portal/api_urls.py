"""The REST API under /api/v1/ and its OpenAPI schema and docs."""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.permissions import AllowAny
from rest_framework.routers import APIRootView
from rest_framework.urlpatterns import format_suffix_patterns

from apps.accounts.api import urls as accounts_urls
from apps.alerts.api import urls as alerts_urls
from apps.backups.api import urls as backups_urls
from apps.briefs.api import urls as briefs_urls
from apps.core.api.exceptions import not_found
from apps.experiments.api import urls as experiments_urls
from apps.jobs.api import urls as jobs_urls
from apps.labels.api import urls as labels_urls
from apps.monitoring.api import urls as monitoring_urls
from apps.notifications.api import urls as notifications_urls
from apps.operations.api import urls as operations_urls
from apps.plots.api import urls as plots_urls
from apps.validation.api import urls as validation_urls

# Each app owns its routes (apps/<app>/api/urls.py, a SimpleRouter); all of them sit under /api/v1/.
app_urls = [
    experiments_urls,
    accounts_urls,
    jobs_urls,
    plots_urls,
    labels_urls,
    monitoring_urls,
    validation_urls,
    notifications_urls,
    alerts_urls,
    operations_urls,
    briefs_urls,
    backups_urls,
]

# The root page /api/v1/ links to every list route of the apps' routers.
api_root = APIRootView.as_view(
    api_root_dict={
        prefix: f"{basename}-list"
        for module in app_urls
        if hasattr(module, "router")
        for prefix, _viewset, basename in module.router.registry
    }
)

# Every API route lives in the "api" namespace ("api:model-train"), so that a page URL name such as
# "model-train" can never resolve to the router's route of the same name.
app_name = "api"

urlpatterns = [
    path("v1/", include(format_suffix_patterns([path("", api_root, name="api-root")]))),
    *[path("v1/", include(module)) for module in app_urls],
    # The schema and the docs describe the API; they are public even when reads need a login.
    path("schema/", SpectacularAPIView.as_view(permission_classes=[AllowAny]), name="schema"),
    path(
        "docs/",
        SpectacularSwaggerView.as_view(url_name="api:schema", permission_classes=[AllowAny]),
        name="docs",
    ),
    re_path(r"^.*$", not_found),
]
