"""The assembled product in a small state of real use, built through the paths a deployment uses.

``seed_demo`` makes the experiment, users, groups, grants and labels; the training service queues a
tiny shared model (and a spare one) on the worker; ``classify`` gives every plot a verdict with a GradCAM map; the
validation pages start a report and an explore map (and a map of a plot type without plots, which
fails); people, wiki and account pages leave audit entries, a question, an answer and an API token.
"""

from __future__ import annotations

import io
import time
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

from apps.accounts.roles import ADMIN

RUNS = 5  # seed_demo holds every fifth run out of training: one held-out run, four to learn from
TINY_TRAINING = {
    "input_shape": [32, 32, 1],
    "epochs": 1,
    "batch_size": 16,
    "learning_rate": 0.01,
    "validation_fraction": 0.25,
    "options": {"filters": [4, 8]},
}
EMPTY_TYPE = "DIRC_hits"  # configured, no plots yet: its map job fails


@dataclass
class Identity:
    """Who browses: a user to log in as (None: anonymous) and whether reading is open to anyone."""

    name: str
    username: str | None = None
    open_access: bool = True

    def client(self) -> Client:
        client = Client(raise_request_exception=False)
        if self.username:
            client.force_login(get_user_model().objects.get(username=self.username))
        return client


IDENTITIES = [
    Identity("anonymous-open"),
    Identity("anonymous-closed", open_access=False),
    Identity("viewer", "viewer"),
    Identity("labeler", "shifter"),  # seed_demo grants the shifter one plot group and the Shift crew role
    Identity("expert", "expert"),
    Identity("admin", "boss"),  # given the Admin role on /people/, as a real admin is made
    Identity("superuser", "demo"),
]


@dataclass
class Scene:
    """Ids of the objects that ``EXTRA_URLS`` may name (``{classified_plot}``)."""

    ids: dict = field(default_factory=dict)


def _ok(response, what: str):
    """The answer of a page action: a page or a redirect elsewhere than the login page, and no error message."""
    from django.contrib.messages import get_messages

    location = response.get("Location", "")
    errors = [m.message for m in get_messages(response.wsgi_request) if m.level_tag == "error"]
    assert response.status_code in (200, 302) and "/login/" not in location and not errors, (
        f"{what}: {response.status_code} {location} {errors} {response.content[:300]!r}"
    )
    return response


def settle(timeout: float = 180.0) -> None:
    """Wait until no job is queued or running, on any broker."""
    from apps.jobs.models import Job

    deadline = time.monotonic() + timeout
    busy = Job.objects.filter(status__in=[Job.Status.QUEUED, Job.Status.RUNNING])
    while busy.exists():
        assert time.monotonic() < deadline, f"jobs still busy: {list(busy.values_list('kind', 'status'))}"
        time.sleep(0.1)


@contextmanager
def worker():
    """The in-process worker starts on the first message; on Redis or RabbitMQ, start one here."""
    import dramatiq

    import apps.monitoring.tasks  # noqa: F401  (declare the queues before the worker starts)
    import apps.validation.tasks  # noqa: F401
    from hydra_portal.broker import InProcessBroker

    broker = dramatiq.get_broker()
    if isinstance(broker, InProcessBroker):
        yield
        return
    started = dramatiq.Worker(broker, worker_threads=2, worker_timeout=100)
    started.start()
    try:
        yield
    finally:
        started.stop()


def build() -> Scene:
    with worker():
        return _build()


def _build() -> Scene:
    from apps.experiments.models import Campaign
    from apps.jobs.models import Job
    from apps.monitoring.models import ActiveModel, ClassifierModel
    from apps.monitoring.services import request_training
    from apps.plots.models import Plot, PlotType
    from apps.wiki.models import Question
    from tests import factories

    # A transactional test earlier in the session may have flushed the roles the migrations made.
    factories.restore_roles()
    factories.grant_monitoring_roles()
    quiet = io.StringIO()
    call_command("seed_demo", runs=RUNS, workers=1, stdout=quiet, stderr=quiet)
    # The demo's own alarm rules would fire on the verdicts below and fill the two alarm pages the
    # walk fetches per view with alarms it cannot act on; the scene's alarm ("Bad now") is the one walked.
    from apps.alerts.models import Rule

    Rule.objects.filter(experiment__name="GlueX").update(enabled=False)
    User = get_user_model()
    demo = User.objects.get(username="demo")
    expert = User.objects.get(username="expert")
    boss = User.objects.create_user("boss", email="boss@example.org", password="boss-password-1")
    types = list(PlotType.objects.filter(experiment__name="GlueX").order_by("name"))
    empty = PlotType.objects.create(experiment=types[0].experiment, name=EMPTY_TYPE, detector="DIRC")

    admin = Client()
    admin.force_login(demo)
    # Roles and grants through the people page: audited like an admin's clicks.
    _ok(admin.post(f"/people/{boss.pk}", {"action": "roles", "roles": [ADMIN]}), "give boss the Admin role")
    _ok(admin.post(f"/people/{boss.pk}", {"action": "grant", "target": f"type:{types[0].pk}"}), "grant a type")
    _ok(admin.post("/account/", {"name": "nightly uploads"}), "issue an API token")

    request_training(types[0], user=expert, hyper_parameters=TINY_TRAINING, shared_with=types[1:], activate=True)
    # A second version, left inactive: its page offers Activate.
    request_training(types[0], hyper_parameters=TINY_TRAINING, shared_with=types[1:], force=True, activate=False)
    settle()
    # The activation gate keeps a tiny model that calls everything one class from going live by itself;
    # the expert activates it anyway, with the reason the gate asks for (the model page's form).
    first = ClassifierModel.objects.filter(plot_type=types[0]).order_by("version").first()
    if not ActiveModel.objects.filter(model=first).exists():
        by_hand = Client()
        by_hand.force_login(expert)
        form = {"reason": "crawl scene: a tiny model, activated to give every plot a verdict"}
        _ok(by_hand.post(f"/models/{first.pk}/activate", form), "activate the first model anyway")
    call_command("classify", stdout=quiet, stderr=quiet)

    online = Campaign.objects.get(experiment=types[0].experiment, is_reference=False)
    by_expert = Client()
    by_expert.force_login(expert)
    _ok(by_expert.post("/validation/reports/new", {"campaign": online.pk}), "start a validation report")
    for pt in (types[0], empty):
        data = {"plot_type": pt.pk, "method": "pixels", "clusters": "kmeans"}
        _ok(by_expert.post("/validation/maps/compute", data), f"compute the map of {pt.name}")
    edit = {"description": "Occupancy per wire; **hot** wires show as bright lines.", "summary": "what to look for"}
    _ok(by_expert.post(f"/plot-types/{types[0].pk}/edit/", edit), "edit a plot type page")
    viewer = Client()
    viewer.force_login(User.objects.get(username="viewer"))
    _ok(viewer.post(f"/plot-types/{types[0].pk}/questions/", {"text": "Is a dark ring Bad?"}), "ask a question")
    question = Question.objects.get(plot_type=types[0])
    _ok(by_expert.post(f"/questions/{question.pk}/answer/", {"text": "Only if it lasts a run."}), "answer it")
    _alarm(by_expert, types[0])
    brief = _brief(by_expert, types[0].experiment.slug)
    _failed_delivery()
    settle()

    jobs = {j.kind + ":" + j.status for j in Job.objects.all()}
    assert {"train:done", "classify:done", "validation.report:done", "validation.map:done"} <= jobs, jobs
    assert "validation.map:failed" in jobs, jobs
    classified = Plot.objects.filter(classifications__gradcam__gt="").distinct()
    assert classified.exists(), "no plot has a verdict with a GradCAM map"
    return Scene(
        ids={
            "plot_type": types[0].pk,
            "empty_type": empty.pk,
            "classified_plot": classified.first().pk,
            "brief": brief,
        },
    )


def _failed_delivery() -> None:
    """A logbook entry with no logbook set up: the delivery log shows it failed, with its Retry form."""
    from apps.notifications import notify, services

    (row,) = notify("logbook:default", "Shift brief", "Nothing to report.")
    deadline = time.monotonic() + 30
    while row.status == "queued" and time.monotonic() < deadline:
        services.attempt(row.pk)  # or the attempt right after the commit fails it first
        row.refresh_from_db()
        time.sleep(0.05)
    assert row.status == "failed", row.last_error


def _brief(by_expert: Client, slug: str) -> int:
    """A shift brief on demand, kept as a draft: the list links it, its page offers the note and Send."""
    from apps.briefs.models import Brief

    _ok(by_expert.post(f"/briefs/new?experiment={slug}", {"shift": "Owl"}), "write a shift brief")
    return Brief.objects.get(status="draft", shift_name="Owl").pk


def _alarm(by_expert: Client, plot_type) -> None:
    """An expert writes an alarm rule on its page; one alarm of it fires, as the verdict keeper does."""
    from apps.alerts import services
    from apps.alerts.choices import Reason
    from apps.alerts.models import Rule

    rule = {
        "name": "Bad now",
        "enabled": "on",
        "plot_type": plot_type.pk,
        "kind": "confirmed_bad",
        "severity": "major",
        "k": 2,
        "n": 3,
        "streak": 3,
        "stale_minutes": 30,
        "live_minutes": 60,
        "clear_after": 2,
        "flicker_changes": 3,
        "flicker_window": 5,
        "notify_expert": "on",
        "targets": "email:shift@example.org",
    }
    slug = plot_type.experiment.slug
    _ok(by_expert.post(f"/alarms/rules/new?experiment={slug}", rule), "write an alarm rule")
    plot = plot_type.plots.order_by("-run_number").first()
    services.fire(
        Rule.objects.get(name="Bad now"),
        plot_type,
        Reason.BAD,
        f"Confirmed Bad in run {plot.run_number}",
        first_run=plot.run_number,
        last_run=plot.run_number,
        plot_id=plot.pk,
    )
