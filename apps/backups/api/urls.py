"""API routes of the app, included under /api/v1/ in the \"api\" namespace."""

urlpatterns = []
