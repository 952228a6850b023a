"""Who may see the delivery log and retry deliveries: admins and detector experts."""

from __future__ import annotations

from apps.accounts.permissions import is_admin
from apps.accounts.roles import ADMIN, DETECTOR_EXPERT


def can_see_deliveries(user) -> bool:
    if not (user and user.is_authenticated and user.is_active):
        return False
    return (
        is_admin(user)
        or user.has_perm("notifications.view_delivery")
        or user.groups.filter(name=DETECTOR_EXPERT).exists()
    )


# Admins manage deliveries in Django's admin (retry, read); experts read them there too.
ROLE_PERMISSIONS = {
    ADMIN: ["view_delivery", "change_delivery", "delete_delivery"],
    DETECTOR_EXPERT: ["view_delivery"],
}


def grant_role_permissions(Group, Permission) -> None:
    """Give the roles their delivery permissions (models passed in, so migrations can call it)."""
    perms = Permission.objects.filter(content_type__app_label="notifications")
    for role, codenames in ROLE_PERMISSIONS.items():
        group = Group.objects.filter(name=role).first()
        if group is not None:
            group.permissions.add(*perms.filter(codename__in=codenames))
