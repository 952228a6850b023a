"""Who may label what: labeling grants to a user or a role, on a plot type or a whole plot group."""

from __future__ import annotations

from apps.accounts.permissions import is_admin
from apps.labels.models import LabelingGrant


def labelable_plot_type_ids(user, plot_type_ids) -> set[int]:
    """The subset of ``plot_type_ids`` that ``user`` may label (a few queries, whatever the count)."""
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
