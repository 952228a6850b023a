"""The plot-group tree of one experiment, built in four queries whatever its size."""

from __future__ import annotations

from dataclasses import dataclass, field

from apps.plots.models import PlotGroup, PlotType

# Groups form a DAG (a group may sit in several super groups); this bounds the drawn depth.
MAX_DEPTH = 8


@dataclass
class Node:
    group: PlotGroup
    children: list[Node] = field(default_factory=list)
    plot_types: list[PlotType] = field(default_factory=list)
    type_count: int = 0


@dataclass
class Tree:
    roots: list[Node]
    ungrouped: list[PlotType]
    group_count: int
    type_count: int


def group_tree(experiment) -> Tree:
    groups = {g.pk: g for g in PlotGroup.objects.filter(experiment=experiment).order_by("name")}
    types = {t.pk: t for t in PlotType.objects.filter(experiment=experiment, ignored=False).order_by("name")}
    parents = PlotGroup.parents.through.objects.filter(from_plotgroup_id__in=groups).values_list(
        "from_plotgroup_id", "to_plotgroup_id"
    )
    members = PlotGroup.plot_types.through.objects.filter(plotgroup_id__in=groups).values_list(
        "plotgroup_id", "plottype_id"
    )
    children: dict[int, list[int]] = {pk: [] for pk in groups}
    has_parent: set[int] = set()
    for child, parent in parents:
        if child in groups and parent in groups:
            children[parent].append(child)
            has_parent.add(child)
    direct: dict[int, list[int]] = {pk: [] for pk in groups}
    grouped: set[int] = set()
    for group_id, type_id in members:
        if type_id in types:
            direct[group_id].append(type_id)
            grouped.add(type_id)

    def below(pk: int, seen: frozenset) -> set[int]:
        found = set(direct[pk])
        for child in children[pk]:
            if child not in seen:
                found |= below(child, seen | {child})
        return found

    def build(pk: int, depth: int, seen: frozenset) -> Node:
        node = Node(groups[pk], plot_types=sorted((types[t] for t in direct[pk]), key=lambda t: t.name))
        node.type_count = len(below(pk, seen))
        if depth < MAX_DEPTH:
            kids = sorted(children[pk], key=lambda c: groups[c].name)
            node.children = [build(c, depth + 1, seen | {c}) for c in kids if c not in seen]
        return node

    roots = [build(pk, 0, frozenset({pk})) for pk in groups if pk not in has_parent]
    ungrouped = [t for pk, t in types.items() if pk not in grouped]
    return Tree(roots=roots, ungrouped=ungrouped, group_count=len(groups), type_count=len(types))
