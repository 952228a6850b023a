"""seed_demo builds the experiment it promises, deterministically."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from apps.experiments.models import Campaign, Experiment, Run
from apps.labels.models import Label
from apps.plots.models import Plot, PlotGroup, PlotType
from ml.synthetic import DEMO_PLOT_TYPES

pytestmark = pytest.mark.django_db


def seed(runs=3, **kw):
    out = io.StringIO()
    call_command("seed_demo", runs=runs, workers=1, stdout=out, stderr=io.StringIO(), **kw)
    return out.getvalue()


def test_seed_demo_creates_an_experiment_with_types_groups_campaigns_runs_plots_and_labels(media_root):
    output = seed(runs=3)
    exp = Experiment.objects.get(name="GlueX")
    assert PlotType.objects.filter(experiment=exp).count() == len(DEMO_PLOT_TYPES)
    assert Campaign.objects.filter(experiment=exp).count() == 2
    assert Campaign.objects.filter(experiment=exp, is_reference=True).count() == 1
    assert Run.objects.filter(experiment=exp).count() == 3
    assert Plot.objects.filter(experiment=exp).count() == 3 * len(DEMO_PLOT_TYPES) * 2
    labeled = Plot.objects.filter(experiment=exp, label_class__isnull=False).count()
    assert 0.6 * 42 <= labeled < 42
    assert Label.objects.count() == labeled
    assert "demo ready: 42 plots" in output
    for plot in Plot.objects.all():
        assert (media_root / plot.image).is_file() and (media_root / plot.thumbnail).is_file()


def test_the_super_group_selects_every_detector_plot_type():
    seed(runs=1)
    hall_d = PlotGroup.objects.get(slug="hall-d")
    assert hall_d.all_plot_types().count() == len(DEMO_PLOT_TYPES)
    shift = PlotGroup.objects.get(name="Shift checklist")
    assert shift.all_plot_types().count() == 3


def test_demo_users_can_log_in_with_the_printed_passwords(client):
    seed(runs=1)
    assert get_user_model().objects.get(username="demo").is_superuser
    assert client.login(username="demo", password="demo-password")
    assert client.login(username="shifter", password="shifter-password")


def test_labels_match_the_failure_each_plot_was_rendered_with():
    seed(runs=4)
    for plot in Plot.objects.filter(label_class__isnull=False).select_related("label_class"):
        if plot.simulated_failure == "":
            assert plot.label_class.name == "Good"
        elif plot.simulated_failure == "empty":
            assert plot.label_class.name == "NoData"
        else:
            assert plot.label_class.name == "Bad"


def test_every_fifth_run_is_held_out_of_training():
    seed(runs=5)
    held_out = set(Plot.objects.filter(training_weight=0).values_list("run_number", flat=True))
    assert held_out and all(n % 5 == 0 for n in held_out)


def test_seeding_again_with_if_empty_does_nothing():
    seed(runs=1)
    before = Plot.objects.count()
    assert "nothing to do" in seed(runs=2, if_empty=True)
    assert Plot.objects.count() == before


def test_the_same_seed_renders_the_same_images(settings, tmp_path):
    seed(runs=1)
    first = sorted(Plot.objects.values_list("sha256", flat=True))
    Plot.objects.all().delete()
    seed(runs=1)
    assert sorted(Plot.objects.values_list("sha256", flat=True)) == first


def test_seeding_for_the_demo_queues_the_default_model_s_training_when_no_model_exists():
    from apps.jobs.models import Job
    from apps.monitoring.models import ClassifierModel

    output = seed(runs=1, train_in_background=True)
    [model] = ClassifierModel.objects.all()
    assert model.status == ClassifierModel.Status.QUEUED
    assert {t.name for t in model.plot_types.all()} == {d.name for d in DEMO_PLOT_TYPES}
    job = Job.objects.get(kind="train")
    assert job.pk == model.job_id and job.status == Job.Status.QUEUED
    # The embedded broker lives in the server: the job waits for it instead of dying with this command.
    assert job.actor == "train_model" and job.sent_at is None and job.params["classify"] is True
    assert f"training the default model in the background (job #{job.pk})" in output


def test_seeding_for_the_demo_queues_no_training_when_a_model_exists():
    from apps.jobs.models import Job
    from apps.monitoring.models import ClassifierModel

    seed(runs=1)
    ClassifierModel.objects.create(plot_type=PlotType.objects.first(), version=1, status="ready")
    output = seed(runs=1, if_empty=True, train_in_background=True)
    assert ClassifierModel.objects.count() == 1 and not Job.objects.filter(kind="train").exists()
    assert "background" not in output


def test_a_demo_training_cut_short_by_a_stop_is_marked_failed_and_queued_again():
    from apps.jobs.models import Job
    from apps.jobs.runner import INTERRUPTED
    from apps.monitoring.management.commands._wait import in_process
    from apps.monitoring.models import ClassifierModel

    seed(runs=1, train_in_background=True)
    stale = ClassifierModel.objects.get()
    Job.objects.filter(pk=stale.job_id).update(status=Job.Status.RUNNING, params={"model_id": stale.pk})
    ClassifierModel.objects.filter(pk=stale.pk).update(status=ClassifierModel.Status.TRAINING)

    seed(runs=1, if_empty=True, train_in_background=True)
    stale.refresh_from_db()
    if not in_process():
        # With a real broker a worker elsewhere may still be training: the reaper, not seed_demo,
        # decides from its heartbeat, and no second model is queued meanwhile.
        assert stale.status == ClassifierModel.Status.TRAINING
        assert ClassifierModel.objects.count() == 1
        return
    assert stale.status == ClassifierModel.Status.FAILED and "interrupted" in stale.error
    assert Job.objects.get(pk=stale.job_id).message == INTERRUPTED
    fresh = ClassifierModel.objects.exclude(pk=stale.pk).get()
    assert fresh.status == ClassifierModel.Status.QUEUED and fresh.job.status == Job.Status.QUEUED


def test_the_demo_has_alarm_rules_and_evaluates_them_on_verdicts_already_stored(client):
    from apps.alerts.models import Alarm, Rule
    from apps.labels.models import LabelClass

    seed(runs=2)
    names = set(Rule.objects.values_list("name", flat=True))
    assert names == {"Bad verdict confirmed on any plot type", "Shift checklist verdicts flicker"}
    assert not Alarm.objects.exists()
    # Verdicts stored later (a model's): seeding again evaluates the rules, and the confirmed Bad fires.
    bad = LabelClass.objects.get(name="Bad")
    plot = Plot.objects.order_by("-run_number", "id").first()
    Plot.objects.filter(pk=plot.pk).update(verdict_class=bad, verdict_confirmed=True)
    Rule.objects.all().delete()
    seed(runs=2, if_empty=True)
    alarm = Alarm.objects.get()
    assert alarm.plot_type == plot.plot_type and alarm.rule.name == "Bad verdict confirmed on any plot type"
    client.login(username="demo", password="demo-password")
    body = client.get("/alarms/").content.decode()
    assert plot.plot_type.name in body and "Bad verdict confirmed on any plot type" in body
