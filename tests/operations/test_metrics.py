"""/metrics: Prometheus text computed from the database, for admins or a scraper with the token."""

import datetime as dt

import pytest
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from apps.core.timing import record
from apps.jobs.models import Job
from tests import factories

pytestmark = pytest.mark.django_db
TOKEN = "s3cret-scrape-token"


def samples(text: str) -> dict:
    """{(name, frozenset(labels)): value} of every sample."""
    out = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return out


@pytest.fixture
def pipeline(db, django_capture_on_commit_callbacks):
    """What a day of work leaves: plots stored, batches timed, jobs done, failed and queued."""
    exp = factories.experiment("GlueX-metrics")
    ptype = factories.plot_type(exp, "CDC_occupancy")
    factories.plot(ptype)  # the newest plot of the experiment
    from apps.operations.receivers import count_ingested

    with django_capture_on_commit_callbacks(execute=True):  # counted once the plots' transaction commits
        count_ingested(sender=None, plots=[object()] * 5)
    record("classification", 2.0, 4)  # a batch of 4 at 0.5 s each
    record("classification", 1.0, 1)
    record("gradcam", 0.4, 4)
    record("push", 0.02, 4)
    for outcome in ("finish", "fail"):
        job = Job.objects.create(kind="classify")
        Job.objects.filter(pk=job.pk).update(created_at=timezone.now() - dt.timedelta(seconds=3))
        job.refresh_from_db()
        job.start()
        job.finish() if outcome == "finish" else job.fail("no model file")
    Job.objects.create(kind="classify", actor="classify_plots")
    return exp


def test_an_admin_reads_the_figures_the_database_holds(client, pipeline, admin_user):
    client.force_login(admin_user)
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    got = samples(response.content.decode())
    assert got[("hydra_plots_ingested_total", frozenset())] == 5
    assert got[("hydra_classifications_total", frozenset())] == 5
    assert got[("hydra_jobs", frozenset({("state", "done")}))] == 1
    assert got[("hydra_jobs", frozenset({("state", "failed")}))] == 1
    assert got[("hydra_jobs", frozenset({("state", "queued")}))] == 1
    assert got[("hydra_queue_depth", frozenset())] == 1
    assert got[("hydra_outbox_unsent", frozenset())] == 1
    p50 = frozenset({("stage", "classification"), ("window", "1h"), ("quantile", "0.5")})
    p95 = frozenset({("stage", "classification"), ("window", "1h"), ("quantile", "0.95")})
    assert got[("hydra_stage_latency_seconds", p50)] == 0.5
    assert got[("hydra_stage_latency_seconds", p95)] == 1.0
    assert got[("hydra_stage_items", frozenset({("stage", "classification"), ("window", "24h")}))] == 5
    queue_p50 = frozenset({("stage", "queue"), ("window", "1h"), ("quantile", "0.5")})
    assert got[("hydra_stage_latency_seconds", queue_p50)] >= 3
    age = got[("hydra_newest_plot_age_seconds", frozenset({("experiment", pipeline.slug)}))]
    assert 0 <= age < 120


def test_a_scraper_with_the_configured_token_reads_metrics(client, pipeline, settings):
    settings.METRICS_TOKEN = TOKEN
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    assert samples(response.content.decode())[("hydra_plots_ingested_total", frozenset())] == 5


def test_everyone_else_is_refused_with_a_message(client, pipeline, settings, viewer_user):
    settings.METRICS_TOKEN = TOKEN
    anonymous = client.get("/metrics")
    assert anonymous.status_code == 401 and anonymous["WWW-Authenticate"].startswith("Bearer")
    assert b"Log in as an admin" in anonymous.content
    wrong = client.get("/metrics", HTTP_AUTHORIZATION="Bearer guessed")
    assert wrong.status_code == 403 and b"not the metrics token" in wrong.content
    basic = client.get("/metrics", HTTP_AUTHORIZATION="Basic Ym9zczpwdw==")
    assert basic.status_code == 401 and b"Bearer" in basic.content
    client.force_login(viewer_user)
    viewer = client.get("/metrics")
    assert viewer.status_code == 403 and b"Only admins" in viewer.content
    for refused in (anonymous, wrong, basic, viewer):
        assert b"hydra_" not in refused.content


def test_without_a_configured_token_no_bearer_token_is_accepted(client, pipeline, settings):
    settings.METRICS_TOKEN = ""
    response = client.get("/metrics", HTTP_AUTHORIZATION="Bearer anything")
    assert response.status_code == 403 and b"No metrics token is configured" in response.content
