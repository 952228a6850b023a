"""API routes of the app, included under /api/v1/ in the \"api\" namespace."""

from rest_framework.routers import SimpleRouter

from apps.alerts.api.views import AlarmViewSet, RuleViewSet, SilenceViewSet

router = SimpleRouter()
router.register("alarms", AlarmViewSet, basename="alarm")
router.register("alarm-rules", RuleViewSet, basename="alarm-rule")
router.register("alarm-silences", SilenceViewSet, basename="alarm-silence")

urlpatterns = router.urls
