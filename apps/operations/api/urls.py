"""API routes of the app, included under /api/v1/ in the \"api\" namespace."""

from django.urls import path

from apps.operations.api import views

urlpatterns = [
    path("trends/plot-types/<int:pk>/", views.PlotTypeTrendView.as_view(), name="trend-plot-type"),
    path("trends/groups/<int:pk>/", views.GroupTrendView.as_view(), name="trend-group"),
]
