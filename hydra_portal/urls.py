from django.conf import settings
from django.contrib import admin
from django.contrib.auth.views import LoginView
from django.http import HttpResponse
from django.urls import include, path, re_path

from apps.accounts.forms import LoginForm
from apps.core import views as core_views
from apps.plots import views as plot_views

# The diamond of base.html's inline icon, for the pages that do not extend base.html (Django's admin
# and password pages, the API docs): browsers ask them for /favicon.ico, which answered 404.
FAVICON = (
    b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><path d="M8 1l7 7-7 7-7-7z" fill="#f59f00"/></svg>'
)


def favicon(request):
    return HttpResponse(FAVICON, content_type="image/svg+xml", headers={"Cache-Control": "max-age=86400"})


# A database outage raised outside a view (a middleware saving the session) answers 503, not 500.
handler500 = "apps.core.outage.server_error"

urlpatterns = [
    path("", include("apps.dashboard.urls")),
    path("", include("apps.plots.urls")),
    path("", include("apps.labels.urls")),
    path("", include("apps.wiki.urls")),
    path("", include("apps.monitoring.urls")),
    path("", include("apps.validation.urls")),
    path("", include("apps.accounts.urls")),
    path("", include("apps.notifications.urls")),
    path("", include("apps.alerts.urls")),
    path("", include("apps.operations.urls")),
    path("", include("apps.briefs.urls")),
    path("accounts/login/", LoginView.as_view(authentication_form=LoginForm), name="login"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("api/", include("hydra_portal.api_urls")),
    path("healthz", core_views.healthz, name="healthz"),
    path("favicon.ico", favicon, name="favicon"),
]

if settings.SERVE_MEDIA:
    urlpatterns.append(re_path(r"^media/(?P<path>.*)$", plot_views.media, name="media"))
