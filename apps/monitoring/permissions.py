"""Who may train, activate and tune models. Roles get these permissions in a data migration."""

from __future__ import annotations

from apps.accounts.roles import ADMIN, DETECTOR_EXPERT, LABELER, VIEWER

ACTIVATE = "monitoring.activate_model"
TRAIN = "monitoring.add_classifiermodel"
CHANGE = "monitoring.change_classifiermodel"

_VIEW = ["view_classifiermodel", "view_activemodel", "view_activation", "view_classification"]
_EXPERT = _VIEW + ["add_classifiermodel", "change_classifiermodel", "activate_model"]
ROLE_PERMISSIONS = {
    VIEWER: _VIEW,
    LABELER: _VIEW,
    DETECTOR_EXPERT: _EXPERT,
    ADMIN: None,  # every permission of the app
}


def grant_role_permissions(Group, Permission) -> None:
    """Give each role its monitoring permissions (models passed in, so migrations can call it)."""
    perms = Permission.objects.filter(content_type__app_label="monitoring")
    for role, codenames in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        chosen = perms if codenames is None else perms.filter(codename__in=codenames)
        group.permissions.add(*chosen)


def can_train(user) -> bool:
    return bool(user and user.is_authenticated and user.has_perm(TRAIN))


def can_activate(user) -> bool:
    return bool(user and user.is_authenticated and user.has_perm(ACTIVATE))


def can_edit_thresholds(user) -> bool:
    return bool(user and user.is_authenticated and user.has_perm(CHANGE))
