"""Who may do what: admins, open read access (apps.core.permissions), the API's default permission class."""

from __future__ import annotations

from apps.accounts.roles import ADMIN
from apps.core.permissions import can_read, reads_open_writes_need

__all__ = ["ReadOpenOrAuthenticated", "can_read", "is_admin"]


def is_admin(user) -> bool:
    return bool(user and user.is_authenticated and (user.is_superuser or user.groups.filter(name=ADMIN).exists()))


# The API's default (REST_FRAMEWORK's DEFAULT_PERMISSION_CLASSES): reads follow open access, every
# write needs a logged-in user.
ReadOpenOrAuthenticated = reads_open_writes_need(message="Log in (or send an API token) to do this.")
