"""manage.py sync_conditions against a real RCDB: an SQLite file built with the rcdb package's own
schema and API, filled with runs and conditions of every kind."""

import io
import sys
from datetime import datetime

import pytest
import rcdb
from django.core.management import CommandError, call_command
from rcdb.model import ConditionType
from rcdb.provider import destroy_all_create_schema

from apps.experiments.models import Run, RunCondition
from apps.experiments.production import run_ids_matching
from apps.jobs.models import Job
from tests import factories

NAMES = "is_production,beam_current,run_type,event_count,target,run_start_time"


def make_rcdb(path) -> str:
    url = f"sqlite:///{path}"
    db = rcdb.ConfigurationProvider(url, check_version=False)
    destroy_all_create_schema(db)
    db.create_condition_type("is_production", ConditionType.BOOL_FIELD, "Production run")
    db.create_condition_type("beam_current", ConditionType.FLOAT_FIELD, "Beam current, nA")
    db.create_condition_type("run_type", ConditionType.STRING_FIELD, "Run type")
    db.create_condition_type("event_count", ConditionType.INT_FIELD, "Events")
    db.create_condition_type("target", ConditionType.STRING_FIELD, "Target")
    db.create_condition_type("run_start_time", ConditionType.TIME_FIELD, "Start")
    values = {
        30100: (True, 152.5, "hd_all.tsg", 120_000_000, "LH2", datetime(2021, 8, 1, 10, 0)),
        30101: (True, 48.0, "hd_all.tsg", 80_000_000, "LH2", datetime(2021, 8, 1, 12, 0)),
        30102: (False, 0.0, "cosmic", 1_000, "empty", datetime(2021, 8, 2, 9, 0)),
        30103: (True, 210.0, "hd_all.tsg", 90_000, None, None),  # no target, no start time
        30104: (True, 99.0, "hd_all.tsg", 10, "LD2", None),  # not in the portal
    }
    names = NAMES.split(",")
    for number, row in values.items():
        run = db.create_run(number)
        for name, value in zip(names, row, strict=True):
            if value is not None:
                db.add_condition(run, name, value)
    db.close()
    return url


@pytest.fixture
def rcdb_url(tmp_path):
    return make_rcdb(tmp_path / "rcdb.sqlite")


@pytest.fixture
def gluex(db):
    exp = factories.experiment("GlueX", rcdb_conditions=NAMES.replace(",", ", "))
    for number in (30100, 30101, 30102, 30103):
        factories.run(exp, number)
    factories.run(exp, 0)  # simulated: never synced
    return exp


def sync(*args, **options) -> str:
    out = io.StringIO()
    call_command("sync_conditions", *args, stdout=out, **options)
    return out.getvalue().strip()


@pytest.mark.django_db
def test_sync_copies_conditions_and_is_idempotent(gluex, rcdb_url):
    # A key from elsewhere (the API, a sidecar) is kept; an RCDB name with no value is removed.
    Run.objects.filter(number=30103).update(conditions={"shift_note": "beam tuning", "target": "stale"})
    line = sync(experiment="GlueX", url=rcdb_url)
    assert line.startswith("GlueX: 4 RCDB runs read (is_production, beam_current")
    assert line.endswith("4 runs updated, 0 unchanged, 0 not in the portal")
    runs = {r.number: r.conditions for r in Run.objects.filter(experiment=gluex)}
    assert runs[30100] == {
        "is_production": True,
        "beam_current": 152.5,
        "run_type": "hd_all.tsg",
        "event_count": 120_000_000,
        "target": "LH2",
        "run_start_time": "2021-08-01T10:00:00",
    }
    assert runs[30103] == {
        "shift_note": "beam tuning",
        "is_production": True,
        "beam_current": 210.0,
        "run_type": "hd_all.tsg",
        "event_count": 90_000,
    }
    assert runs[0] == {}
    assert not Run.objects.filter(number=30104).exists()  # runs are not created
    numbers = dict(Run.objects.filter(experiment=gluex).values_list("id", "number"))
    chosen = run_ids_matching('@is_production and beam_current > 100 and run_type == "HD_ALL.tsg"', gluex)
    assert sorted(numbers[i] for i in chosen) == [30100, 30103]

    rows = sorted(RunCondition.objects.values_list("run_id", "name", "number", "text"))
    assert sync(experiment="GlueX", url=rcdb_url).endswith("0 runs updated, 4 unchanged, 0 not in the portal")
    assert sorted(RunCondition.objects.values_list("run_id", "name", "number", "text")) == rows


@pytest.mark.django_db
def test_sync_narrows_to_runs_and_names(gluex, rcdb_url):
    line = sync(experiment="gluex", url=rcdb_url, runs="30101-30102", conditions="beam_current")
    assert "2 RCDB runs read (beam_current)" in line and "2 runs updated" in line
    got = dict(Run.objects.filter(experiment=gluex).values_list("number", "conditions"))
    assert got[30101] == {"beam_current": 48.0} and got[30102] == {"beam_current": 0.0} and got[30100] == {}


@pytest.mark.django_db
def test_rcdb_runs_beyond_the_portals_are_counted(gluex, rcdb_url):
    factories.run(gluex, 30099)
    Run.objects.filter(number=30103).delete()
    line = sync(experiment="GlueX", url=rcdb_url, runs="30099-30200")
    assert "5 RCDB runs read" in line and "2 not in the portal" in line


@pytest.mark.django_db
def test_the_experiments_url_and_settings_are_used(gluex, rcdb_url, settings):
    settings.RCDB_URL = rcdb_url
    assert "4 runs updated" in sync(experiment="GlueX")
    gluex.rcdb_url = "sqlite:////nonexistent/dir/rcdb.sqlite"
    gluex.save()
    with pytest.raises(CommandError, match="unreachable"):
        sync(experiment="GlueX")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url,reason",
    [
        (
            "mysql+pymysql://rcdb:secret@127.0.0.1:1/rcdb",
            "the RCDB at mysql+pymysql://rcdb:***@127.0.0.1:1/rcdb is unreachable",
        ),
        ("sqlite:////nonexistent/dir/rcdb.sqlite", "rcdb.sqlite is unreachable: unable to open database file"),
        ("nosuchdb://x", "is unreachable"),
    ],
)
def test_an_unreachable_rcdb_is_one_clear_line(gluex, url, reason):
    with pytest.raises(CommandError) as info:
        sync(experiment="GlueX", url=url)
    message = str(info.value)
    assert reason in message and "\n" not in message and "secret" not in message
    assert not RunCondition.objects.exists()


@pytest.mark.django_db
def test_an_empty_database_is_not_an_rcdb(gluex, tmp_path):
    (tmp_path / "empty.sqlite").write_bytes(b"")
    with pytest.raises(CommandError, match="unreachable: .*no such table"):
        sync(experiment="GlueX", url=f"sqlite:///{tmp_path / 'empty.sqlite'}")


@pytest.mark.django_db
def test_unknown_names_experiments_and_ranges_are_refused(gluex, rcdb_url):
    with pytest.raises(CommandError, match="has no condition named polarization"):
        sync(experiment="GlueX", url=rcdb_url, conditions="beam_current,polarization")
    with pytest.raises(CommandError, match="unknown experiment"):
        sync(experiment="Nope", url=rcdb_url)
    with pytest.raises(CommandError, match="the first run is above the last"):
        sync(experiment="GlueX", url=rcdb_url, runs="9-3")
    gluex.rcdb_conditions = ""
    gluex.save()
    with pytest.raises(CommandError, match="no condition names"):
        sync(experiment="GlueX", url=rcdb_url)


@pytest.mark.django_db
def test_without_the_package_the_message_says_how_to_install(gluex, rcdb_url, monkeypatch):
    monkeypatch.setitem(sys.modules, "rcdb", None)  # import rcdb now raises ImportError
    with pytest.raises(CommandError, match=r"the rcdb package is not installed: pip install 'hydra-portal\[rcdb\]'"):
        sync(experiment="GlueX", url=rcdb_url)


@pytest.mark.django_db
def test_reindex_rebuilds_the_rows(gluex, rcdb_url):
    sync(experiment="GlueX", url=rcdb_url)
    count = RunCondition.objects.count()
    RunCondition.objects.all().delete()
    assert sync(experiment="GlueX", reindex=True) == f"GlueX: {count} condition rows indexed"
    assert RunCondition.objects.count() == count


@pytest.mark.django_db(transaction=True)
def test_the_periodic_job_syncs_and_reports(rcdb_url, tmp_path):
    import dramatiq

    from apps.experiments.tasks import JOB_KIND, queue_all
    from hydra_portal.broker import InProcessBroker

    exp = factories.experiment("GlueX", rcdb_conditions="beam_current", rcdb_url=rcdb_url)
    factories.run(exp, 30100)
    factories.experiment("Other")  # names no conditions: not synced
    broker = dramatiq.get_broker()
    worker = None
    if isinstance(broker, InProcessBroker):
        broker.start_worker()
    else:
        worker = dramatiq.Worker(broker, worker_threads=1, worker_timeout=100)
        worker.start()
    try:
        jobs = queue_all()
        broker.join("ingest", timeout=60_000)
    finally:
        if worker is not None:
            worker.stop()
        elif isinstance(broker, InProcessBroker):
            broker.join_all()
    assert len(jobs) == 1
    job = Job.objects.get(pk=jobs[0].pk)
    assert job.kind == JOB_KIND and job.status == Job.Status.DONE, job.message
    assert job.result == {"rcdb_runs": 1, "updated": 1, "unchanged": 0, "not_in_portal": 0}
    assert Run.objects.get(experiment=exp, number=30100).conditions == {"beam_current": 152.5}


@pytest.mark.django_db
def test_the_scheduler_queues_due_syncs_once(rcdb_url, settings, monkeypatch):
    from apps.experiments import tasks
    from apps.jobs import scheduler

    assert "experiments.sync_conditions" in {t.name for t in scheduler.tasks()}
    sent = []
    monkeypatch.setattr(tasks, "queue_sync", lambda exp, user=None: sent.append(exp.name) or exp)
    settings.RCDB_URL = ""
    factories.experiment("With URL", rcdb_conditions="beam_current", rcdb_url=rcdb_url)
    factories.experiment("No URL", rcdb_conditions="beam_current")
    factories.experiment("No names", rcdb_url=rcdb_url)
    assert [e.name for e in tasks.queue_due()] == ["With URL"]
    settings.RCDB_URL = rcdb_url
    assert sorted(e.name for e in tasks.queue_due()) == ["No URL", "With URL"]


@pytest.mark.django_db
def test_a_sync_still_waiting_is_not_queued_again(rcdb_url):
    from apps.experiments import tasks

    exp = factories.experiment("GlueX", rcdb_conditions="beam_current", rcdb_url=rcdb_url)
    first = tasks.queue_due()
    assert [j.kind for j in first] == ["sync_conditions"] and first[0].params["experiment"] == exp.pk
    assert tasks.queue_due() == []
    Job.objects.filter(pk=first[0].pk).update(status=Job.Status.DONE)
    assert len(tasks.queue_due()) == 1


@pytest.mark.django_db
def test_without_the_package_the_scheduler_queues_nothing(rcdb_url, monkeypatch, caplog):
    from apps.experiments import tasks

    factories.experiment("GlueX", rcdb_conditions="beam_current", rcdb_url=rcdb_url)
    monkeypatch.setitem(sys.modules, "rcdb", None)
    monkeypatch.setattr(tasks, "_warned", False)
    assert tasks.queue_due() == [] and tasks.queue_due() == []
    assert caplog.text.count("the rcdb package is not installed") == 1
    assert not Job.objects.exists()
