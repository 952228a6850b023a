from django.urls import path

from apps.labels import views

urlpatterns = [
    path("labeler/", views.labeler_page, name="labeler"),
    path("labeler/apply", views.labeler_apply, name="labeler-apply"),
]
