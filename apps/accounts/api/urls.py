"""API routes of the app, included under /api/v1/ in the \"api\" namespace."""

from django.urls import path
from rest_framework.routers import SimpleRouter
from rest_framework.urlpatterns import format_suffix_patterns

from apps.accounts.api.views import ApiTokenViewSet, TokenExchangeView

router = SimpleRouter()
router.register("tokens", ApiTokenViewSet, basename="token")

urlpatterns = [
    path("auth/token/", TokenExchangeView.as_view(), name="auth-token"),
    # The format suffixes (tokens.json) the routes had from the project's former DefaultRouter.
    *format_suffix_patterns(router.urls),
]
