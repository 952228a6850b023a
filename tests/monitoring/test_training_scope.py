"""One default: the API, the train form and manage.py train train one shared model over every plot type
of the experiment; a model of one plot type is the explicit choice. And the gate's rules on known figures."""

import pytest
from rest_framework.test import APIClient

from apps.monitoring import gating
from apps.monitoring.models import ClassifierModel
from tests import factories


@pytest.fixture
def types(roles):
    exp = factories.experiment()
    good, bad = factories.label_class(exp, "Good"), factories.label_class(exp, "Bad")
    found = [factories.plot_type(exp, name) for name in ("CDC_occupancy", "FCAL_occupancy", "TOF_paddles")]
    factories.plot_type(exp, "ignored_type", ignored=True)
    other = factories.experiment()
    factories.plot_type(other, "CDC_occupancy")
    for pt in found:
        for i in range(4):
            factories.label(factories.plot(pt), bad if i % 2 else good)
    return found


def _covered(model_id):
    return sorted(ClassifierModel.objects.get(pk=model_id).plot_types.values_list("name", flat=True))


ALL = ["CDC_occupancy", "FCAL_occupancy", "TOF_paddles"]


@pytest.mark.django_db
def test_the_api_trains_a_shared_model_over_the_experiment_by_default(types, people):
    api = APIClient()
    api.force_authenticate(people["expert"])
    shared = api.post("/api/v1/models/train/", {"plot_type": types[0].pk}, format="json")
    assert shared.status_code == 202, shared.json()
    assert _covered(shared.json()["model"]["id"]) == ALL
    alone = api.post("/api/v1/models/train/", {"plot_type": types[1].pk, "scope": "type"}, format="json")
    assert alone.status_code == 202 and _covered(alone.json()["model"]["id"]) == []
    model = ClassifierModel.objects.get(pk=alone.json()["model"]["id"])
    assert model.covered_type_ids() == [types[1].pk]
    narrowed = api.post(
        "/api/v1/models/train/", {"plot_type": types[2].pk, "shared_with": [types[0].pk]}, format="json"
    )
    assert _covered(narrowed.json()["model"]["id"]) == ["CDC_occupancy", "TOF_paddles"]
    both = api.post(
        "/api/v1/models/train/",
        {"plot_type": types[0].pk, "scope": "type", "shared_with": [types[1].pk]},
        format="json",
    )
    assert both.status_code == 400 and "leave shared_with empty" in str(both.json())
    bad = api.post("/api/v1/models/train/", {"plot_type": types[0].pk, "scope": "all"}, format="json")
    assert bad.status_code == 400 and "scope" in bad.json()["error"]["details"]
    assert ClassifierModel.objects.count() == 3


@pytest.mark.django_db
def test_the_train_form_trains_a_shared_model_by_default(types, people, client):
    client.force_login(people["expert"])
    page = client.get(f"/models/type/{types[0].pk}/").content.decode()
    assert 'value="shared" selected' in page
    client.post(
        f"/models/type/{types[0].pk}/train",
        {"architecture": "compact", "optimizer": "adam", "scope": "shared", "balance": "class_weights"},
    )
    model = ClassifierModel.objects.get()
    assert _covered(model.pk) == ALL
    client.post(
        f"/models/type/{types[1].pk}/train",
        {"architecture": "compact", "optimizer": "adam", "scope": "type", "balance": "class_weights"},
    )
    assert ClassifierModel.objects.get(plot_type=types[1]).covered_type_ids() == [types[1].pk]


FIG = {"tested_on": 40, "accuracy": 0.95, "bad_recall": 0.9, "bad_precision": 0.9}


def _decide(candidate, active, predicted=("Bad", "Good"), accuracy=0.95):
    return gating.decide(
        {"CDC": candidate},
        {"CDC": {"model": 7, "name": "CDC v1", "figures": active}} if active else {},
        {1: "CDC"},
        list(predicted),
        ["Bad", "Good"],
        accuracy,
    )


def test_the_gate_rules_on_known_figures(settings):
    settings.ACTIVATION_TOLERANCE = 0.01
    settings.ACTIVATION_MIN_ACCURACY = 0.5
    # Within the tolerance: not worse.
    gate = _decide({**FIG, "accuracy": 0.945}, FIG)
    assert gate["per_plot_type"]["CDC"]["passes"] and not gate["worse"] and gating.passing_types(gate) == [1]
    # Bad recall lower by more than the tolerance: worse, stays ready.
    gate = _decide({**FIG, "bad_recall": 0.85}, FIG)
    assert gate["worse"] and gating.passing_types(gate) == []
    assert gate["per_plot_type"]["CDC"]["outcome"] == "worse: Bad recall 0.850 < 0.900"
    # No active model: activated when it passes the checks.
    assert gating.passing_types(_decide(FIG, None)) == [1]
    # One class for everything, or under the floor: never, even with no active model.
    collapsed = _decide(FIG, None, predicted=["Good"])
    assert collapsed["collapsed"] and gating.passing_types(collapsed) == [] and collapsed["worse"]
    low = _decide({**FIG, "accuracy": 0.4}, None, accuracy=0.4)
    assert gating.passing_types(low) == [] and "under the floor" in low["reasons"][0]
    # A wider tolerance lets the lower Bad recall through.
    settings.ACTIVATION_TOLERANCE = 0.1
    assert gating.passing_types(_decide({**FIG, "bad_recall": 0.85}, FIG)) == [1]
