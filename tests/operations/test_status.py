"""The status page from a pipeline that ran: plots ingested, a classification job done, another failed."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from apps.jobs.models import Job
from apps.jobs.runner import enqueue
from apps.monitoring.models import ClassifierModel
from apps.monitoring.tasks import classify_plots
from apps.operations import status
from apps.operations.models import DailyTally, StageTiming
from apps.plots.ingest import Ingestor, Source
from apps.plots.layout import PlotRef
from apps.plots.models import Plot
from tests import factories
from tests.monitoring.conftest import wait_for_jobs


def ingest(exp, name, runs):
    sources = [
        Source(
            name=f"{name}_{run}.png",
            ref=PlotRef(plot_type=name, run=run, run_period="RunPeriod-2021-08", chunk=0, campaign="online"),
            data=factories.png_bytes(48, 36, run),
        )
        for run in runs
    ]
    with Ingestor(exp, workers=1) as ingestor:
        return ingestor.ingest(sources)


@pytest.mark.django_db(transaction=True)
def test_the_status_page_shows_stage_times_tallies_and_the_job_that_failed(client, worker):
    exp = factories.experiment("GlueX-status")
    cdc = factories.plot_type(exp, "CDC_occupancy")
    factories.classifier_model(cdc, activate=True)
    ingest(exp, "CDC_occupancy", [80001, 80002, 80003])
    [done] = wait_for_jobs("classify")
    assert done.status == Job.Status.DONE
    # A job that cannot run: its model has no file. It fails, and counts as failed.
    broken = ClassifierModel.objects.create(plot_type=cdc, version=9, status="ready", label_map=["Bad", "Good"])
    enqueue(classify_plots, kind="classify", plot_ids=[Plot.objects.first().pk], model_id=broken.pk)
    jobs = wait_for_jobs("classify", count=2)
    assert [j.status for j in jobs] == [Job.Status.DONE, Job.Status.FAILED]

    # One row per batch and stage: three plots went through classification, GradCAM and the push.
    kept = {
        s: sum(StageTiming.objects.filter(stage=s).values_list("count", flat=True))
        for s in ("classification", "gradcam", "push")
    }
    assert kept == {"classification": 3, "gradcam": 3, "push": 3}
    assert DailyTally.objects.get(kind="ingested", day=timezone.localdate()).count == 3
    assert DailyTally.objects.get(kind="classified", day=timezone.localdate()).count == 3

    snap = status.snapshot()
    figures = {f.stage: f.windows for f in snap["stages"]}
    assert figures["classification"]["1h"]["items"] == 3 and figures["classification"]["1h"]["p50"] > 0
    assert figures["gradcam"]["24h"]["items"] == 3 and figures["push"]["1h"]["items"] == 3
    assert figures["ingest"]["1h"]["items"] == 3 and figures["ingest"]["1h"]["p95"] > 0
    assert figures["queue"]["1h"]["items"] == 2  # both jobs started within the hour
    assert figures["queue"]["1h"]["p95"] >= figures["queue"]["1h"]["p50"] >= 0
    assert snap["jobs"]["done"] == 1 and snap["jobs"]["failed"] == 1
    assert snap["queue"] == {"queued": 0, "running": 0, "outbox_unsent": 0}
    [newest] = snap["newest"]
    assert newest["experiment"] == exp and not newest["stale"] and newest["age"] < 120
    today = [c for column in snap["heatmap"]["columns"] for c in column if c and c["day"] == timezone.localdate()]
    assert today[0]["count"] == 3 and today[0]["level"] >= 1
    assert snap["totals"] == {"ingested": 3, "classified": 3}

    html = client.get("/status/").content.decode()
    row = re.search(r'<tr data-stage="classification">(.*?)</tr>', html, re.S).group(1)
    assert re.findall(r'<td class="num">(\d+)</td>', row) == ["3", "3"]
    assert 'data-figure="failed">1<' in html
    assert 'data-count="3"' in html and "images classified in all: 3" in html
    assert "js/status.js" in html and 'data-live-topics="jobs,plots,verdicts"' in html
    panel = client.get("/status/", {"part": "panel"}).content.decode()
    assert panel.lstrip().startswith('<div class="status-panel"') and "<html" not in panel


@pytest.mark.django_db
def test_a_silent_experiment_and_a_worker_without_heartbeat_are_shown_red(client, settings):
    settings.JOB_HEARTBEAT_TIMEOUT = 60
    quiet = factories.experiment("Quiet")
    old = factories.plot(factories.plot_type(quiet, "BCAL_hits"))
    Plot.objects.filter(pk=old.pk).update(ingested_at=timezone.now() - dt.timedelta(hours=3))
    factories.experiment("Empty")
    job = Job.objects.create(kind="train", title="training CDC")
    job.start()
    Job.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - dt.timedelta(minutes=5))
    queued = Job.objects.create(kind="classify", actor="classify_plots")  # its message never left the outbox

    snap = status.snapshot()
    by_name = {row["experiment"].name: row for row in snap["newest"]}
    assert by_name["Quiet"]["stale"] and by_name["Quiet"]["age"] > 3 * 3600 - 60
    assert by_name["Empty"]["stale"] and by_name["Empty"]["at"] is None
    [beat] = snap["heartbeats"]
    assert beat["id"] == job.pk and beat["stale"] and beat["age"] >= 300
    assert snap["queue"] == {"queued": 1, "running": 1, "outbox_unsent": 1}
    assert queued.pk

    html = client.get("/status/").content.decode()
    assert re.search(r'<tr class="stale" data-experiment="quiet">', html)
    assert f'<tr class="stale"><td>#{job.pk} training CDC</td>' in html
    assert 'data-figure="outbox">1<' in html


def test_weighted_quantiles_count_each_batch_once_per_item():
    # A batch of 9 items at 1 s each and one item at 10 s: the median and p95 are 1 s, p99 10 s.
    assert status.weighted_quantiles([(10.0, 1), (1.0, 9)], qs=(0.5, 0.9, 0.99)) == [1.0, 1.0, 10.0]
    assert status.weighted_quantiles([]) == [None, None]


@pytest.mark.django_db
def test_delivery_failures_report_a_missing_log_instead_of_failing():
    failures = status.delivery_failures()
    if failures.available:  # the notifications app keeps a delivery log: read from it
        assert failures.last_day >= failures.last_hour >= 0
    else:
        assert "delivery log" in failures.message


@pytest.mark.django_db
def test_admins_read_stage_timings_and_tallies_in_the_admin_but_cannot_add_them(client, admin_user):
    from apps.core.timing import record

    record("gradcam", 1.28, 64)
    client.force_login(admin_user)
    timings = client.get("/admin/operations/stagetiming/")
    assert timings.status_code == 200 and b"gradcam" in timings.content
    tallies = client.get("/admin/operations/dailytally/")
    assert tallies.status_code == 200
    assert b"Daily tallies" in tallies.content and b"tallys" not in tallies.content
    assert b"Daily tallies" in client.get("/admin/").content
    assert client.get("/admin/operations/stagetiming/add/").status_code == 403
