"""POST /api/v1/labels/ (one or many, all or nothing) and the label history of a plot."""

import pytest

from apps.labels.models import Label
from tests import factories
from tests.api.conftest import error_of

pytestmark = pytest.mark.django_db

URL = "/api/v1/labels/"
MISSING = object()


@pytest.fixture
def cdc(experiment):
    return factories.plot_type(experiment, "CDC_occupancy")


@pytest.fixture
def fcal(experiment):
    return factories.plot_type(experiment, "FCAL_occupancy")


@pytest.fixture
def granted(labeler, cdc, as_user):
    """A labeler allowed to label CDC plots only."""
    factories.labeling_grant(labeler, plot_type=cdc)
    return as_user(labeler)


def test_one_label_by_class_name_answers_201_and_becomes_the_current_label(granted, cdc, experiment):
    plot = factories.plot(cdc)
    response = granted.post(URL, {"plot": plot.pk, "label_class": "Bad", "comment": "hot channel"}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["plot"], body["label"], body["user"], body["comment"]) == (plot.pk, "Bad", "labeler", "hot channel")
    plot.refresh_from_db()
    assert plot.label_class.name == "Bad"


def test_a_list_labels_many_plots_at_once_by_id_or_name(granted, cdc, experiment):
    plots = [factories.plot(cdc) for _ in range(3)]
    good = factories.label_class(experiment, "Good")
    items = [
        {"plot": plots[0].pk, "label_class": good.pk},
        {"plot": plots[1].pk, "label_class": "Bad", "comment": "dead sector"},
        {"plot": plots[2].pk, "label_class": "NoData"},
    ]
    response = granted.post(URL, items, format="json")
    assert response.status_code == 201, response.content
    assert [(row["plot"], row["label"]) for row in response.json()] == [
        (plots[0].pk, "Good"),
        (plots[1].pk, "Bad"),
        (plots[2].pk, "NoData"),
    ]
    assert Label.objects.count() == 3


def test_labeling_a_type_without_a_grant_is_a_403_and_saves_nothing(granted, cdc, fcal):
    items = [
        {"plot": factories.plot(cdc).pk, "label_class": "Good"},
        {"plot": factories.plot(fcal).pk, "label_class": "Bad"},
    ]
    response = granted.post(URL, items, format="json")
    assert response.status_code == 403
    assert "FCAL_occupancy" in error_of(response)["message"]
    assert not Label.objects.exists()


def test_a_grant_on_a_super_group_covers_the_types_below_it(labeler, as_user, cdc, experiment):
    detectors = factories.plot_group(experiment, "Detectors")
    factories.plot_group(experiment, "Drift chambers", types=[cdc], parents=[detectors])
    factories.labeling_grant(labeler, plot_group=detectors)
    plot = factories.plot(cdc)
    response = as_user(labeler).post(URL, {"plot": plot.pk, "label_class": "Good"}, format="json")
    assert response.status_code == 201
    plot.refresh_from_db()
    assert plot.label_class.name == "Good" and Label.objects.get(plot=plot).user == labeler


def test_an_admin_labels_anything(admin, as_user, fcal):
    plot = factories.plot(fcal)
    response = as_user(admin, "session").post(URL, {"plot": plot.pk, "label_class": "Good"}, format="json")
    assert response.status_code == 201
    plot.refresh_from_db()
    assert plot.label_class.name == "Good" and Label.objects.get(plot=plot).user == admin


@pytest.mark.parametrize(
    "item, field",
    [
        ({"plot": 999999, "label_class": "Good"}, "plot"),
        ({"plot": MISSING, "label_class": "Good"}, "plot"),
        ({"plot": "abc", "label_class": "Good"}, "plot"),
        ({"plot": 2**70, "label_class": "Good"}, "plot"),
        ({"label_class": "NoSuchClass"}, "label_class"),
        ({"label_class": 999999}, "label_class"),
        ({"label_class": True}, "label_class"),
        ({"label_class": None}, "label_class"),
        ({"comment": "x" * 501, "label_class": "Good"}, "comment"),
    ],
)
def test_an_invalid_item_is_a_400_naming_it_and_nothing_is_saved(granted, cdc, item, field):
    good_plot = factories.plot(cdc)
    item = {k: v for k, v in {"plot": factories.plot(cdc).pk, **item}.items() if v is not MISSING}
    response = granted.post(URL, [{"plot": good_plot.pk, "label_class": "Good"}, item], format="json")
    assert response.status_code == 400
    error = error_of(response)
    assert field in error["details"]["items"]["1"]
    assert not Label.objects.exists()


def test_a_class_of_another_experiment_or_not_valid_for_the_type_is_a_400(granted, cdc, experiment):
    other = factories.experiment("Other")
    foreign = factories.label_class(other, "Good")
    response = granted.post(URL, {"plot": factories.plot(cdc).pk, "label_class": foreign.pk}, format="json")
    assert response.status_code == 400
    assert "not a valid class" in error_of(response)["message"]
    assert not Label.objects.exists()


@pytest.mark.parametrize("body", [[], "Good", 7, {"plot": None}])
def test_a_body_that_is_not_labels_is_a_400(granted, body):
    response = granted.post(URL, body, format="json")
    assert response.status_code == 400
    error_of(response)
    assert not Label.objects.exists()


def test_malformed_json_is_a_400(granted):
    response = granted.generic("POST", URL, b"{not json", content_type="application/json")
    assert response.status_code == 400
    assert error_of(response)["code"] == "parse_error"


def test_anonymous_labeling_is_a_401(api, cdc):
    plot = factories.plot(cdc)
    response = api.post(URL, {"plot": plot.pk, "label_class": "Good"}, format="json")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    plot.refresh_from_db()
    assert plot.label_class is None and not Label.objects.exists()


def test_the_history_of_a_plot_lists_every_label_newest_first(api, cdc, experiment, labeler):
    plot = factories.plot(cdc)
    for name in ("Good", "Bad", "NoData"):
        factories.label(plot, factories.label_class(experiment, name), who=labeler)
    factories.label(factories.plot(cdc), factories.label_class(experiment, "Good"))
    response = api.get(f"/api/v1/plots/{plot.pk}/labels/")
    assert response.status_code == 200
    assert [row["label"] for row in response.json()["results"]] == ["NoData", "Bad", "Good"]
    assert api.get("/api/v1/plots/999999/labels/").status_code == 404


def test_labels_filter_by_plot_type_user_and_class(api, cdc, fcal, experiment, labeler):
    bad = factories.label_class(experiment, "Bad")
    factories.label(factories.plot(cdc), bad, who=labeler)
    factories.label(factories.plot(fcal), bad)
    factories.label(factories.plot(fcal), factories.label_class(experiment, "Good"), who=labeler)
    assert len(api.get(URL, {"plot_type": cdc.pk}).json()["results"]) == 1
    assert len(api.get(URL, {"user": "labeler"}).json()["results"]) == 2
    assert len(api.get(URL, {"label_class": bad.pk, "experiment": experiment.slug}).json()["results"]) == 2
    assert api.get(URL, {"created_after": "yesterday"}).status_code == 400
