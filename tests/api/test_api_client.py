"""hydra-client against a live portal: upload a directory, list plots, label one."""

import io

import pytest
from django.contrib.auth.models import User

from apps.accounts.roles import DETECTOR_EXPERT
from apps.plots.models import Plot, PlotType
from hydra_portal import client
from tests import factories

# The live server needs committed data; serialized rollback restores the role groups the migrations made.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def key():
    user = factories.user("ci", roles=[DETECTOR_EXPERT])
    return factories.api_token(user)[1]


@pytest.fixture
def experiment_slug():
    return factories.experiment("GlueX").slug


def test_upload_walks_a_directory_and_prints_a_summary(live_server, key, experiment_slug, make_png, tmp_path, capsys):
    root = tmp_path / "plots"
    for run in (80464, 80465):
        folder = root / "RunPeriod-2021-08" / f"Run{run:06d}"
        folder.mkdir(parents=True)
        (folder / "CDC_occupancy.png").write_bytes(make_png(seed=run))
        (folder / "FCAL_occupancy_0002.png").write_bytes(make_png(seed=run + 1))
    (root / "RunPeriod-2021-08" / "Run080465" / "broken.png").write_bytes(b"not a png")
    (root / "notes.txt").write_text("ignored: not an image name")
    args = ["--url", live_server.url, "--token", key, "upload", str(root), "--experiment", experiment_slug]

    assert client.main(args) == 1
    out, err = capsys.readouterr()
    assert out.startswith("uploaded 5 files in 1 requests: 4 new, 0 duplicate, 1 rejected")
    assert "rejected RunPeriod-2021-08/Run080465/broken.png" in err
    assert Plot.objects.count() == 4

    client.main(args)
    assert "0 new, 4 duplicate, 1 rejected" in capsys.readouterr().out


def test_plots_lists_a_run_and_label_labels_a_plot(live_server, key, experiment_slug, make_png, tmp_path, capsys):
    folder = tmp_path / "RunPeriod-2021-08" / "Run001234"
    folder.mkdir(parents=True)
    for name in ("CDC_occupancy", "FCAL_occupancy"):
        (folder / f"{name}.png").write_bytes(make_png(seed=len(name)))
    base = ["--url", live_server.url, "--token", key]
    assert client.main([*base, "upload", str(tmp_path), "--experiment", experiment_slug]) == 0
    capsys.readouterr()

    assert client.main([*base, "plots", "--run", "1234", "--plot-type", "CDC_occupancy"]) == 0
    [line] = capsys.readouterr().out.splitlines()
    plot_id, run, plot_type, chunk, label, url = line.split("\t")
    assert (run, plot_type, label) == ("1234", "CDC_occupancy", "-")

    assert client.main([*base, "label", plot_id, "Bad"]) == 2
    assert "403 permission_denied" in capsys.readouterr().err
    factories.labeling_grant(User.objects.get(username="ci"), plot_type=PlotType.objects.get(name=plot_type))
    assert client.main([*base, "label", plot_id, "Bad"]) == 0
    assert "labeled Bad" in capsys.readouterr().out
    assert Plot.objects.get(pk=plot_id).label_class.name == "Bad"


def test_verdicts_lists_the_models_verdicts_of_a_run(live_server, key, experiment_slug, make_png, tmp_path, capsys):
    folder = tmp_path / "RunPeriod-2021-08" / "Run001234"
    folder.mkdir(parents=True)
    for name in ("CDC_occupancy", "FCAL_occupancy", "BCAL_timing"):
        (folder / f"{name}.png").write_bytes(make_png(seed=len(name) + 7))
    base = ["--url", live_server.url, "--token", key]
    assert client.main([*base, "upload", str(tmp_path), "--experiment", experiment_slug, "--training-weight", "0"]) == 0
    capsys.readouterr()
    assert set(Plot.objects.values_list("training_weight", flat=True)) == {0}  # held out: test only
    cdc, fcal = (Plot.objects.get(plot_type__name=n) for n in ("CDC_occupancy", "FCAL_occupancy"))
    factories.classification(cdc, factories.classifier_model(cdc.plot_type), "Bad", 0.97, confirmed=True)
    factories.classification(fcal, factories.classifier_model(fcal.plot_type), "Good", 0.61, confirmed=False)

    assert client.main([*base, "verdicts", "--run", "1234"]) == 0
    rows = sorted((line.split("\t") for line in capsys.readouterr().out.splitlines()), key=lambda r: int(r[0]))
    assert rows == [
        [str(cdc.pk), "1234", "CDC_occupancy", "Bad", "0.970", "confirmed", "-"],
        [str(fcal.pk), "1234", "FCAL_occupancy", "Good", "0.610", "second opinion", "-"],
    ]  # the BCAL plot has no verdict and is left out
    assert client.main([*base, "verdicts", "--run", "1234", "--experiment", experiment_slug, "--verdict", "Bad"]) == 0
    assert [line.split("\t")[0] for line in capsys.readouterr().out.splitlines()] == [str(cdc.pk)]
    assert client.main([*base, "verdicts", "--run", "1234", "--confirmed", "no"]) == 0
    assert [line.split("\t")[0] for line in capsys.readouterr().out.splitlines()] == [str(fcal.pk)]


def test_errors_are_reported_from_the_api_error_shape(live_server, capsys):
    assert client.main(["--url", live_server.url, "--token", "wrong", "plots"]) == 2
    assert "401 authentication_failed" in capsys.readouterr().err


def test_multipart_bodies_carry_fields_and_files():
    body, content_type = client.encode_multipart([("experiment", "gluex")], [("images", "a.png", b"\x89PNG")])
    boundary = content_type.split("boundary=")[1]
    assert body.startswith(f"--{boundary}\r\n".encode()) and body.endswith(f"--{boundary}--\r\n".encode())
    assert b'name="images"; filename="a.png"' in body and b"\x89PNG" in body


def test_login_stores_a_token_that_later_commands_use(live_server, experiment_slug, tmp_path, monkeypatch, capsys):
    factories.user("shift", roles=[DETECTOR_EXPERT])
    credentials = tmp_path / "config" / "credentials.json"
    monkeypatch.setenv("HYDRA_CLIENT_CREDENTIALS", str(credentials))
    monkeypatch.delenv("HYDRA_URL", raising=False)
    monkeypatch.delenv("HYDRA_TOKEN", raising=False)
    monkeypatch.setattr("sys.stdin", io.StringIO("pw-for-tests-1\n"))
    login = ["--url", live_server.url, "login", "--username", "shift", "--password-stdin"]
    assert client.main(login) == 0
    assert f"logged in to {live_server.url} as shift" in capsys.readouterr().out
    assert oct(credentials.stat().st_mode & 0o777) == "0o600"
    stored = client.load_credentials()
    assert stored["url"] == live_server.url and stored["tokens"][live_server.url].startswith("hydra_")

    folder = tmp_path / "plots" / "RunPeriod-2021-08" / "Run000042"
    folder.mkdir(parents=True)
    (folder / "CDC_occupancy.png").write_bytes(factories.png_bytes(seed=42))
    # No --url, no --token: both come from the login.
    assert client.main(["upload", str(tmp_path / "plots"), "--experiment", experiment_slug]) == 0
    assert "1 new" in capsys.readouterr().out
    assert Plot.objects.get().original_path == "RunPeriod-2021-08/Run000042/CDC_occupancy.png"


def test_login_with_a_wrong_password_stores_nothing(live_server, tmp_path, monkeypatch, capsys):
    factories.user("shift")
    monkeypatch.setenv("HYDRA_CLIENT_CREDENTIALS", str(tmp_path / "credentials.json"))
    monkeypatch.setattr("sys.stdin", io.StringIO("wrong\n"))
    assert client.main(["--url", live_server.url, "login", "--username", "shift", "--password-stdin"]) == 2
    assert "400 invalid_credentials: wrong user name or password" in capsys.readouterr().err
    assert not (tmp_path / "credentials.json").exists()
