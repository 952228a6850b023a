"""Reports follow their campaigns: new plots of either campaign recompute the report and tell the page."""

import asyncio

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from apps.experiments.choices import CampaignKind
from apps.jobs.models import Job
from apps.plots.ingest import Ingestor, Source
from apps.plots.layout import PlotRef
from apps.validation import reports
from tests import factories
from tests.validation import synthetic
from tests.validation.conftest import drain

pytestmark = pytest.mark.django_db(transaction=True)


async def received(layer, channel, seconds=2.0) -> list[dict]:
    messages = []
    while True:
        try:
            messages.append(await asyncio.wait_for(layer.receive(channel), seconds))
        except TimeoutError:
            return messages


def test_the_report_recomputes_when_new_plots_of_either_campaign_arrive(worker):
    exp = factories.experiment("GlueX")
    reference = factories.campaign(exp, "recon-ver01", kind=CampaignKind.OFFLINE, is_reference=True)
    new = factories.campaign(exp, "calib-pass2", kind=CampaignKind.CALIBRATION)
    tof = factories.plot_type(exp, synthetic.TOF)
    for n in range(1, 7):
        factories.plot_from_png(tof, synthetic.png(synthetic.TOF, n), factories.run(exp, n), reference)
    factories.plot_from_png(tof, synthetic.png(synthetic.TOF, 11), exp.runs.get(number=1), new)
    report = reports.compute(reports.get_or_create_report(new, reference))
    assert report.results.get().verdict == "pass"

    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)("hydra.validation", channel)
    source = Source(
        name="calib-pass2/Run000002/TOF.png",
        ref=PlotRef(plot_type=tof.name, run=2, run_period="RunPeriod-2021-08", chunk=0, campaign=new.name),
        data=synthetic.png(synthetic.TOF, 12, "hot_channels"),
    )
    with Ingestor(exp, campaign=new.name, workers=1) as ingestor:
        assert ingestor.ingest([source]).count("new") == 1
    drain(worker)

    job = Job.objects.get(kind="validation.report")
    assert job.status == Job.Status.DONE, job.log
    report.refresh_from_db()
    line = report.results.get()
    assert (line.verdict, line.n_plots, line.worst_plot.run_number) == ("fail", 2, 2)
    events = [m for m in async_to_sync(received)(layer, channel) if m["event"] == "validation.updated"]
    assert events and events[-1]["payload"]["report"] == report.pk
    assert events[-1]["payload"]["summary"]["counts"]["fail"] == 1


def test_plots_of_unrelated_campaigns_queue_nothing(worker):
    exp = factories.experiment("GlueX")
    reference = factories.campaign(exp, "recon-ver01", is_reference=True)
    new = factories.campaign(exp, "calib-pass2")
    factories.validation_report(new, reference)
    source = Source(
        name="x.png",
        ref=PlotRef(plot_type="TOF", run=5, run_period="RunPeriod-2021-08", chunk=0, campaign="online"),
        data=synthetic.png(synthetic.TOF, 5),
    )
    with Ingestor(exp, campaign="online", workers=1) as ingestor:
        ingestor.ingest([source])
    drain(worker)
    assert not Job.objects.filter(kind__startswith="validation.").exists()
