"""The groups page: super groups → groups → plot types, each linking to the filtered browser."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests import factories


def test_the_tree_nests_groups_under_their_super_groups(client, scene):
    response = client.get(reverse("group-tree"), {"experiment": "gluex"})
    assert response.status_code == 200
    roots = response.context["tree"].roots
    assert [n.group.name for n in roots] == ["Calorimeters", "Tracking"]
    tracking = roots[1]
    assert [c.group.name for c in tracking.children] == ["Drift chambers"]
    assert [t.name for t in tracking.children[0].plot_types] == ["CDC_occupancy"]
    assert tracking.type_count == 1


def test_each_group_and_plot_type_links_to_the_filtered_browser(client, scene):
    html = client.get(reverse("group-tree"), {"experiment": "gluex"}).content.decode()
    assert f"/plots/?experiment=gluex&amp;group={scene.tracking.pk}" in html
    assert f"/plots/?experiment=gluex&amp;plot_type={scene.cdc.pk}" in html
    assert reverse("plot-type-page", args=[scene.cdc.pk]) in html


def test_plot_types_in_no_group_are_listed_apart_and_ignored_ones_hidden(client, scene):
    loose = factories.plot_type(scene.exp, "Loose_type")
    tree = client.get(reverse("group-tree")).context["tree"]
    assert tree.ungrouped == [loose]


def test_a_group_in_two_super_groups_shows_under_both(client, scene):
    physics = factories.plot_group(scene.exp, "Physics")
    scene.drift.parents.add(physics)
    roots = {n.group.name: n for n in client.get(reverse("group-tree")).context["tree"].roots}
    assert [c.group.name for c in roots["Physics"].children] == ["Drift chambers"]
    assert [c.group.name for c in roots["Tracking"].children] == ["Drift chambers"]


def test_the_groups_page_query_count_does_not_grow_with_the_groups(client, scene):
    client.get(reverse("group-tree"))
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("group-tree"))
    parent = scene.tracking
    for i in range(10):
        parent = factories.plot_group(scene.exp, f"Level {i}", types=[factories.plot_type(scene.exp)], parents=[parent])
    with CaptureQueriesContext(connection) as many:
        assert client.get(reverse("group-tree")).status_code == 200
    assert len(many.captured_queries) == len(few.captured_queries)


def test_the_groups_page_without_experiments(client, db):
    assert client.get(reverse("group-tree")).status_code == 200
