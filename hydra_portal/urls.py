from django.conf import settings
from django.contrib import admin
from django.contrib.auth.views import LoginView
from django.urls import include, path, re_path

from apps.accounts.forms import LoginForm
from apps.core import views as core_views

urlpatterns = [
    path("", core_views.home, name="home"),
    path("plots/<int:pk>/image", core_views.plot_image, name="plot-image"),
    path("", include("apps.plots.urls")),
    path("", include("apps.labels.urls")),
    path("", include("apps.wiki.urls")),
    path("", include("apps.monitoring.urls")),
    path("", include("apps.validation.urls")),
    path("", include("apps.accounts.urls")),
    path("accounts/login/", LoginView.as_view(authentication_form=LoginForm), name="login"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("api/", include("hydra_portal.api_urls")),
    path("healthz", core_views.healthz, name="healthz"),
]

if settings.SERVE_MEDIA:
    urlpatterns.append(re_path(r"^media/(?P<path>.*)$", core_views.media, name="media"))
