"""Permission classes shared by the API's viewsets."""

from rest_framework.permissions import SAFE_METHODS

from apps.accounts.permissions import ReadOpenOrAuthenticated, can_read, is_admin


class AdminOrReadOnly(ReadOpenOrAuthenticated):
    """Configuration: anyone who may read sees it; only admins change it."""

    message = "Only admins may change the portal's configuration."

    def has_permission(self, request, view):
        if request.method in SAFE_METHODS:
            return can_read(request.user)
        return is_admin(request.user)


class CanUpload(ReadOpenOrAuthenticated):
    """Uploading plots needs the ingest permission plots.add_plot; reads follow open access."""

    message = "Uploading plots needs the permission plots.add_plot (ask an admin for the Detector expert role)."

    def has_permission(self, request, view):
        if request.method in SAFE_METHODS:
            return can_read(request.user)
        user = request.user
        return bool(user and user.is_authenticated and user.has_perm("plots.add_plot"))
