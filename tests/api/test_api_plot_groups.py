"""/api/v1/plot-groups/: groups and super groups, each with every plot type under it."""

import pytest

from apps.plots.models import PlotGroup
from tests import factories
from tests.api.conftest import error_of

pytestmark = pytest.mark.django_db

URL = "/api/v1/plot-groups/"


@pytest.fixture
def tree(experiment):
    """Physics ⊃ Jets ⊃ {JetPT}; Physics ⊃ Heavy flavour ⊃ {DMeson}; Physics holds Lumi directly."""
    jet, dmeson, lumi = (factories.plot_type(experiment, n) for n in ("JetPT", "DMeson", "Lumi"))
    physics = factories.plot_group(experiment, "Physics", types=[lumi])
    jets = factories.plot_group(experiment, "Jets", types=[jet], parents=[physics])
    heavy = factories.plot_group(experiment, "Heavy flavour", types=[dmeson], parents=[physics])
    return {"physics": physics, "jets": jets, "heavy": heavy, "types": (jet, dmeson, lumi)}


def test_a_super_group_lists_every_plot_type_under_it(api, tree):
    rows = {r["name"]: r for r in api.get(URL).json()["results"]}
    assert rows["Physics"]["all_plot_type_ids"] == sorted(t.pk for t in tree["types"])
    assert rows["Physics"]["plot_types"] == [tree["types"][2].pk]
    assert sorted(rows["Physics"]["children"]) == sorted([tree["jets"].pk, tree["heavy"].pk])
    assert rows["Jets"]["all_plot_type_ids"] == [tree["types"][0].pk]
    assert rows["Jets"]["parents"] == [tree["physics"].pk]
    detail = api.get(f"{URL}{tree['physics'].pk}/").json()
    assert detail["all_plot_type_ids"] == rows["Physics"]["all_plot_type_ids"]


def test_groups_filter_by_parent_and_plot_type(api, tree):
    assert sorted(r["name"] for r in api.get(URL, {"parent": tree["physics"].pk}).json()["results"]) == [
        "Heavy flavour",
        "Jets",
    ]
    assert [r["name"] for r in api.get(URL, {"plot_type": tree["types"][0].pk}).json()["results"]] == ["Jets"]


def test_an_admin_nests_groups_but_not_into_a_cycle(admin, as_user, tree, experiment):
    client = as_user(admin)
    created = client.post(
        URL, {"experiment": experiment.slug, "name": "Top", "kind": "working_group"}, format="json"
    ).json()
    response = client.patch(f"{URL}{tree['physics'].pk}/", {"parents": [created["id"]]}, format="json")
    assert response.status_code == 200
    response = client.patch(f"{URL}{created['id']}/", {"parents": [tree["jets"].pk]}, format="json")
    assert response.status_code == 400
    assert "cannot contain itself" in error_of(response)["message"]
    assert not PlotGroup.objects.get(pk=created["id"]).parents.exists()


def test_group_queries_do_not_grow_with_the_number_of_groups(api, experiment, django_assert_max_num_queries):
    parent = None
    for i in range(12):
        parent = factories.plot_group(
            experiment, f"G{i}", types=[factories.plot_type(experiment)], parents=[parent] if parent else []
        )
    with django_assert_max_num_queries(8):
        assert len(api.get(URL).json()["results"]) == 12
