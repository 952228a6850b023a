"""Who may do what through the API: anonymous (open access on and off), viewer, labeler, expert, admin;
by token and by session."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from apps.accounts.models import ApiToken
from apps.experiments.models import Experiment
from apps.labels.models import Label, LabelClass
from apps.plots.models import Plot, PlotGroup, PlotType
from tests import factories

pytestmark = pytest.mark.django_db

LISTS = [
    "/api/v1/experiments/",
    "/api/v1/run-periods/",
    "/api/v1/runs/",
    "/api/v1/campaigns/",
    "/api/v1/plot-types/",
    "/api/v1/plot-groups/",
    "/api/v1/label-classes/",
    "/api/v1/plots/",
    "/api/v1/labels/",
    "/api/v1/jobs/",
]
ROLES = ["viewer", "labeler", "expert", "admin"]
HOW = ["token", "bearer", "session"]


@pytest.fixture
def cdc(experiment):
    return factories.plot_type(experiment, "CDC_occupancy")


@pytest.fixture
def plot(cdc):
    return factories.plot(cdc)


def client_for(role, how, request, as_user) -> APIClient:
    return APIClient() if role == "anonymous" else as_user(request.getfixturevalue(role), how)


@pytest.mark.parametrize("url", LISTS)
def test_anonymous_visitors_read_every_list_when_access_is_open(api, settings, plot, url):
    settings.OPEN_ACCESS = True
    assert api.get(url).status_code == 200


@pytest.mark.parametrize("url", LISTS)
def test_anonymous_visitors_get_401_everywhere_when_access_is_closed(api, settings, plot, url):
    settings.OPEN_ACCESS = False
    response = api.get(url)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
    assert api.get(f"/api/v1/plots/{plot.pk}/").status_code == 401


@pytest.mark.parametrize("how", HOW)
@pytest.mark.parametrize("url", LISTS)
def test_a_viewer_reads_every_list_when_access_is_closed(settings, as_user, viewer, plot, url, how):
    settings.OPEN_ACCESS = False
    assert as_user(viewer, how).get(url).status_code == 200


def test_the_schema_and_docs_stay_public_when_access_is_closed(api, settings):
    settings.OPEN_ACCESS = False
    assert api.get("/api/schema/").status_code == 200
    assert api.get("/api/docs/").status_code == 200


UPLOAD = {"anonymous": 401, "viewer": 403, "labeler": 403, "expert": 201, "admin": 201}


@pytest.mark.parametrize("how", ["token", "session"])
@pytest.mark.parametrize("role, expected", UPLOAD.items())
def test_uploading_needs_the_ingest_permission(role, expected, how, request, as_user, experiment, make_png):
    client = client_for(role, how, request, as_user)
    form = {
        "image": SimpleUploadedFile("a.png", make_png(seed=1)),
        "experiment": experiment.slug,
        "plot_type": "CDC_occupancy",
        "run": 1,
    }
    assert client.post("/api/v1/plots/", form, format="multipart").status_code == expected
    # Stored only when allowed.
    assert Plot.objects.filter(experiment=experiment).count() == (1 if expected == 201 else 0)


LABEL = {"anonymous": 401, "viewer": 403, "labeler": 403, "granted labeler": 201, "expert": 403, "admin": 201}


@pytest.mark.parametrize("how", ["token", "session"])
@pytest.mark.parametrize("role, expected", LABEL.items())
def test_labeling_needs_a_grant_on_the_plot_type(role, expected, how, request, as_user, labeler, plot, cdc):
    if role == "granted labeler":
        factories.labeling_grant(labeler, plot_type=cdc)
        role = "labeler"
    client = client_for(role, how, request, as_user)
    response = client.post("/api/v1/labels/", {"plot": plot.pk, "label_class": "Good"}, format="json")
    assert response.status_code == expected
    # A refused label leaves the plot unlabeled; an accepted one becomes its current label.
    plot.refresh_from_db()
    assert (plot.label_class.name if plot.label_class else None) == ("Good" if expected == 201 else None)
    assert Label.objects.filter(plot=plot).count() == (1 if expected == 201 else 0)


CONFIG = {"anonymous": 401, "viewer": 403, "labeler": 403, "expert": 403, "admin": 201}


@pytest.mark.parametrize("how", ["token", "session"])
@pytest.mark.parametrize("role, expected", CONFIG.items())
def test_configuration_writes_need_an_admin(role, expected, how, request, as_user, experiment):
    client = client_for(role, how, request, as_user)
    writes = [
        ("/api/v1/experiments/", {"name": f"New {role} {how}"}),
        ("/api/v1/plot-types/", {"experiment": experiment.slug, "name": "X"}),
        ("/api/v1/plot-groups/", {"experiment": experiment.slug, "name": "G"}),
        ("/api/v1/label-classes/", {"experiment": experiment.slug, "name": "Cosmic"}),
    ]
    assert [client.post(url, body, format="json").status_code for url, body in writes] == [expected] * 4
    made = [
        Experiment.objects.filter(name=f"New {role} {how}").exists(),
        PlotType.objects.filter(experiment=experiment, name="X").exists(),
        PlotGroup.objects.filter(experiment=experiment, name="G").exists(),
        LabelClass.objects.filter(experiment=experiment, name="Cosmic").exists(),
    ]
    assert made == [expected == 201] * 4


def test_a_session_write_without_the_csrf_token_is_refused(viewer, settings):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(viewer)
    response = client.post("/api/v1/tokens/", {"name": "x"}, format="json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["error"]["message"]
    assert not ApiToken.objects.filter(user=viewer).exists()


def test_a_token_write_needs_no_csrf_token(viewer):
    _, key = factories.api_token(viewer)
    client = APIClient(enforce_csrf_checks=True)
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.post("/api/v1/tokens/", {"name": "x"}, format="json").status_code == 201
    assert ApiToken.objects.filter(user=viewer, name="x").exists()
