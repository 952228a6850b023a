"""Who may do what: admins, open read access, and the API's permission class (labeling grants: apps.labels)."""

from __future__ import annotations

from django.conf import settings
from rest_framework.permissions import SAFE_METHODS, BasePermission

from apps.accounts.roles import ADMIN


def is_admin(user) -> bool:
    return bool(user and user.is_authenticated and (user.is_superuser or user.groups.filter(name=ADMIN).exists()))


def can_read(user) -> bool:
    return settings.OPEN_ACCESS or bool(user and user.is_authenticated)


class ReadOpenOrAuthenticated(BasePermission):
    """Reads are open when HYDRA_OPEN_ACCESS is on; every write needs a logged-in user."""

    message = "Log in (or send an API token) to do this."

    def has_permission(self, request, view):
        if request.method in SAFE_METHODS:
            return can_read(request.user)
        return bool(request.user and request.user.is_authenticated)
