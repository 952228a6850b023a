"""Who may acknowledge and silence alarms and who may write rules. Roles get these in a data migration.

Acknowledging needs a detector expert, a member of the shift crew (the "Shift crew" role, whose alarm
permissions this app grants) or an admin; writing rules needs an expert or an admin. Reading is open like the rest.
"""

from __future__ import annotations

from apps.accounts.permissions import is_admin
from apps.accounts.roles import ADMIN, DETECTOR_EXPERT, LABELER, SHIFT_CREW, VIEWER

ACKNOWLEDGE = "alerts.acknowledge_alarm"
EDIT_RULES = "alerts.change_rule"

_VIEW = ["view_rule", "view_alarm", "view_alarmevent", "view_silence"]
_SHIFT = _VIEW + ["acknowledge_alarm", "add_silence"]
_EXPERT = _SHIFT + ["add_rule", "change_rule", "delete_rule", "change_silence"]
ROLE_PERMISSIONS = {
    VIEWER: _VIEW,
    LABELER: _VIEW,
    SHIFT_CREW: _SHIFT,
    DETECTOR_EXPERT: _EXPERT,
    ADMIN: None,  # every permission of the app
}


def grant_role_permissions(Group, Permission) -> None:
    """Give each role its alarm permissions (models passed in, so migrations can call it)."""
    perms = Permission.objects.filter(content_type__app_label="alerts")
    for role, codenames in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        chosen = perms if codenames is None else perms.filter(codename__in=codenames)
        group.permissions.add(*chosen)


def _in_role(user, *roles) -> bool:
    return user.groups.filter(name__in=roles).exists()


def can_acknowledge(user) -> bool:
    if not (user and user.is_authenticated and user.is_active):
        return False
    return is_admin(user) or user.has_perm(ACKNOWLEDGE) or _in_role(user, DETECTOR_EXPERT, SHIFT_CREW)


def can_edit_rules(user) -> bool:
    if not (user and user.is_authenticated and user.is_active):
        return False
    return is_admin(user) or user.has_perm(EDIT_RULES) or _in_role(user, DETECTOR_EXPERT)
