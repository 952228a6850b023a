"""Pages of the app; the API routes live in api/urls.py."""

urlpatterns = []
