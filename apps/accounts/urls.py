from django.urls import path

from apps.accounts import views

urlpatterns = [
    path("account/", views.account, name="account"),
    path("account/tokens/<int:pk>/revoke", views.revoke_token, name="revoke-token"),
    path("people/", views.people, name="people"),
    path("people/<int:pk>", views.person, name="person"),
]
