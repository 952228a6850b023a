"""Who may do what: open read access, labeling grants, and the API's permission class."""

from __future__ import annotations

from django.conf import settings
from rest_framework.permissions import SAFE_METHODS, BasePermission

from apps.accounts.roles import ADMIN


def is_admin(user) -> bool:
    return bool(user and user.is_authenticated and (user.is_superuser or user.groups.filter(name=ADMIN).exists()))


def can_read(user) -> bool:
    return settings.OPEN_ACCESS or bool(user and user.is_authenticated)


def labelable_plot_type_ids(user, plot_type_ids) -> set[int]:
    """The subset of ``plot_type_ids`` that ``user`` may label (a few queries, whatever the count)."""
    from apps.labels.models import LabelingGrant
    from apps.plots.models import PlotGroup, PlotType

    ids = set(plot_type_ids)
    if not ids or not (user and user.is_authenticated and user.is_active):
        return set()
    if is_admin(user):
        return ids
    group_ids = list(user.groups.values_list("id", flat=True))
    grants = LabelingGrant.objects.filter(user=user) | LabelingGrant.objects.filter(group_id__in=group_ids)
    allowed = set(grants.filter(plot_type_id__in=ids).values_list("plot_type_id", flat=True))
    granted_groups = set(grants.filter(plot_group__isnull=False).values_list("plot_group_id", flat=True))
    if granted_groups and ids - allowed:
        below: set[int] = set()
        for group in PlotGroup.objects.filter(pk__in=granted_groups):
            below |= group.descendant_ids()
        allowed |= set(PlotType.objects.filter(pk__in=ids - allowed, groups__in=below).values_list("id", flat=True))
    return allowed


def can_label(user, plot_type) -> bool:
    return plot_type.pk in labelable_plot_type_ids(user, [plot_type.pk])


class ReadOpenOrAuthenticated(BasePermission):
    """Reads are open when HYDRA_OPEN_ACCESS is on; every write needs a logged-in user."""

    message = "Log in (or send an API token) to do this."

    def has_permission(self, request, view):
        if request.method in SAFE_METHODS:
            return can_read(request.user)
        return bool(request.user and request.user.is_authenticated)
