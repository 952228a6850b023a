"""A small experiment to browse: two detectors, nested groups, two campaigns, a few runs, some labels."""

from types import SimpleNamespace

import pytest

from tests import factories


def build_scene(runs=(1001, 1002, 1003, 1004, 1005)):
    exp = factories.experiment("GlueX")
    cdc = factories.plot_type(exp, "CDC_occupancy", detector="CDC")
    fcal = factories.plot_type(exp, "FCAL_occupancy", detector="FCAL")
    hidden = factories.plot_type(exp, "Hidden_type", detector="CDC", ignored=True)
    tracking = factories.plot_group(exp, "Tracking")
    drift = factories.plot_group(exp, "Drift chambers", types=[cdc], parents=[tracking])
    calo = factories.plot_group(exp, "Calorimeters", types=[fcal])
    online = factories.campaign(exp, "online")
    recon = factories.campaign(exp, "recon-ver02")
    run_objs = {n: factories.run(exp, n, period="RunPeriod-2021-08" if n < 1004 else "RunPeriod-2022-05") for n in runs}
    plots = {}
    for n, r in run_objs.items():
        plots[("cdc", n)] = factories.plot(cdc, r, online)
        plots[("fcal", n)] = factories.plot(fcal, r, online)
    plots[("fcal-recon", runs[2])] = factories.plot(fcal, run_objs[runs[2]], recon)
    plots[("hidden", runs[0])] = factories.plot(hidden, run_objs[runs[0]], online)
    good, bad = factories.label_class(exp, "Good"), factories.label_class(exp, "Bad")
    factories.label(plots[("cdc", runs[0])], good)
    factories.label(plots[("cdc", runs[1])], bad)
    factories.label(plots[("fcal", runs[1])], good)
    return SimpleNamespace(
        exp=exp,
        cdc=cdc,
        fcal=fcal,
        hidden=hidden,
        tracking=tracking,
        drift=drift,
        calo=calo,
        online=online,
        recon=recon,
        runs=run_objs,
        plots=plots,
        good=good,
        bad=bad,
        nodata=factories.label_class(exp, "NoData"),
    )


@pytest.fixture
def scene(db):
    return build_scene()


@pytest.fixture
def labeler_user(db, scene):
    from apps.accounts.roles import LABELER
    from apps.labels.models import LabelingGrant

    account = factories.user("labeler", roles=[LABELER])
    LabelingGrant.objects.create(user=account, plot_group=scene.tracking)
    return account


@pytest.fixture
def closed(settings):
    """Anonymous visitors may not read."""
    settings.OPEN_ACCESS = False
