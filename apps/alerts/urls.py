"""Pages of the app; the API routes live in api/urls.py."""

from django.urls import path

from apps.alerts import views

urlpatterns = [
    path("alarms/", views.alarm_list, name="alarm-list"),
    path("alarms/<int:pk>/", views.alarm_detail, name="alarm-detail"),
    path("alarms/<int:pk>/acknowledge", views.alarm_acknowledge, name="alarm-acknowledge"),
    path("alarms/<int:pk>/silence", views.alarm_silence, name="alarm-silence"),
    path("alarms/<int:pk>/resolve", views.alarm_resolve, name="alarm-resolve"),
    path("alarms/rules/", views.rule_list, name="alarm-rules"),
    path("alarms/rules/new", views.rule_edit, name="alarm-rule-new"),
    path("alarms/rules/<int:pk>/", views.rule_edit, name="alarm-rule-edit"),
]
