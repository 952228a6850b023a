"""Pages of the app; the API routes live in api/urls.py."""

from django.urls import path

from apps.briefs import views

urlpatterns = [
    path("briefs/", views.brief_list, name="brief-list"),
    path("briefs/new", views.brief_new, name="brief-new"),
    path("briefs/<int:pk>/", views.brief_detail, name="brief-detail"),
    path("briefs/<int:pk>/note", views.brief_note, name="brief-note"),
    path("briefs/<int:pk>/send", views.brief_send, name="brief-send"),
]
