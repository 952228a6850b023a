"""Who may see the delivery log and retry deliveries: admins and detector experts."""

from __future__ import annotations

from apps.accounts.permissions import is_admin
from apps.accounts.roles import DETECTOR_EXPERT


def can_see_deliveries(user) -> bool:
    if not (user and user.is_authenticated and user.is_active):
        return False
    return (
        is_admin(user)
        or user.has_perm("notifications.view_delivery")
        or user.groups.filter(name=DETECTOR_EXPERT).exists()
    )
