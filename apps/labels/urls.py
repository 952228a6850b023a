from django.urls import path

from apps.labels import people_views, views

urlpatterns = [
    path("labeler/", views.labeler_page, name="labeler"),
    path("labeler/apply", views.labeler_apply, name="labeler-apply"),
    path("account/", people_views.account, name="account"),
    path("people/", people_views.people, name="people"),
    path("people/<int:pk>", people_views.person, name="person"),
]
