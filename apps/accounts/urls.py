from django.urls import path

from apps.accounts import views

urlpatterns = [
    path("account/", views.account, name="account"),
    path("account/tokens/<int:pk>/revoke", views.revoke_token, name="revoke-token"),
    path("people/", views.people, name="people"),
    path("people/<int:pk>", views.person, name="person"),
    # Ahead of django.contrib.auth.urls: say so when no mail server is configured.
    path("accounts/password_reset/", views.password_reset, name="password_reset"),
    path("accounts/password_reset/done/", views.password_reset_done, name="password_reset_done"),
]
