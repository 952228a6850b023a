"""Pages of the app; the API routes live in api/urls.py."""

from django.urls import path

from apps.operations import views

urlpatterns = [
    path("trends/", views.trends_index, name="trends"),
    path("trends/type/<int:pk>/", views.plot_type_trend, name="trend-plot-type"),
    path("trends/group/<int:pk>/", views.group_trend, name="trend-group"),
    path("status/", views.status_page, name="status"),
    path("metrics", views.metrics_view, name="metrics"),
]
