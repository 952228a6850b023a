from django.urls import path

from apps.accounts import views

# The account page and the people page are labels' (apps/labels/urls.py): they show labeling grants.
urlpatterns = [
    path("account/tokens/<int:pk>/revoke", views.revoke_token, name="revoke-token"),
    # Ahead of django.contrib.auth.urls: say so when no mail server is configured.
    path("accounts/password_reset/", views.password_reset, name="password_reset"),
    path("accounts/password_reset/done/", views.password_reset_done, name="password_reset_done"),
]
