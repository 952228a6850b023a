"""Pages of the app; the API routes live in api/urls.py."""

from django.urls import path

from apps.notifications import views

urlpatterns = [
    path("notifications/", views.delivery_log, name="delivery-log"),
    path("notifications/<int:pk>/retry", views.delivery_retry, name="delivery-retry"),
]
