"""manage.py seed_demo: a GlueX-like experiment with rendered plots, groups, users and labels."""

from __future__ import annotations

import os
import random
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import timedelta
from multiprocessing import get_context

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from apps.accounts.roles import ADMIN, DETECTOR_EXPERT, LABELER, SHIFT_CREW, VIEWER
from apps.core.models import Announcement
from apps.experiments.choices import CampaignKind
from apps.experiments.models import Campaign, Experiment, Run, RunPeriod
from apps.labels.defaults import ensure_default_classes
from apps.labels.models import LabelClass, LabelingGrant
from apps.labels.services import apply_labels
from apps.plots.choices import GroupKind
from apps.plots.demo_render import render
from apps.plots.ingest import Ingestor, Source
from apps.plots.layout import PlotRef
from apps.plots.models import Plot, PlotGroup, PlotType

FIRST_RUN = 80400
RUN_PERIOD = "RunPeriod-2021-08"
ONLINE, OFFLINE = "online", "recon-2021-08-ver01"
# Share of demo plots that carry an expert label; the rest are left for the labeler.
LABELED_SHARE = 0.85
# Every fifth run is held out of training (training weight 0), so models are tested on unseen runs.
HELD_OUT_EVERY = 5

GROUPS = {
    "Calorimeters": ("FCAL", "BCAL"),
    "Tracking": ("CDC", "FDC"),
    "Timing and PID": ("TOF", "SC", "RF"),
}
SUPER_GROUP = "Hall D detectors"
SHIFT_GROUP = ("Shift checklist", ("CDC", "FCAL", "RF"))

USERS = [
    # username, password, roles, superuser
    ("demo", "demo-password", [ADMIN], True),
    ("expert", "expert-password", [DETECTOR_EXPERT], False),
    ("shifter", "shifter-password", [LABELER, SHIFT_CREW], False),
    ("viewer", "viewer-password", [VIEWER], False),
]


class Command(BaseCommand):
    help = "Create a demo experiment (GlueX-like) with plot types, groups, two campaigns, runs of plots and labels."

    def add_arguments(self, parser):
        parser.add_argument("--runs", type=int, default=120, help="Runs of plots to make (default 120).")
        parser.add_argument("--seed", type=int, default=7, help="Seed: the same seed makes the same images.")
        parser.add_argument("--experiment", default="GlueX")
        parser.add_argument("--if-empty", action="store_true", help="Do nothing when the experiment has plots.")
        parser.add_argument("--workers", type=int, default=None, help="Render processes (default: CPU count).")
        parser.add_argument(
            "--train",
            action="store_true",
            help="Then train the default model (one compact CNN shared by the demo plot types) and activate it.",
        )
        parser.add_argument(
            "--train-in-background",
            action="store_true",
            help="When the experiment has no model yet, queue training of the default model (and then verdicts "
            "for every plot) for the background workers; with the embedded set-up it starts once the portal serves.",
        )

    def handle(self, *args, runs, seed, experiment, if_empty, workers, train=False, **options):
        from ml.synthetic import DEMO_PLOT_TYPES

        background = options.get("train_in_background", False) and not train
        if if_empty and Plot.objects.filter(experiment__name=experiment).exists():
            self.stdout.write(f"{experiment} already has plots; nothing to do.")
            self._alarm_rules(Experiment.objects.get(name=experiment))
            self._then_train(experiment, train, background)
            return
        started = time.perf_counter()
        exp, plot_types, campaigns = self._structure(experiment, DEMO_PLOT_TYPES)
        users = self._users(exp)
        run_numbers = [FIRST_RUN + i for i in range(runs)]
        self._runs(exp, run_numbers, seed)
        jobs, truth = self._render_jobs(run_numbers, seed)
        total = len(jobs) * len(campaigns)
        self.stdout.write(f"rendering {total} plots for {runs} runs x {len(DEMO_PLOT_TYPES)} plot types x 2 campaigns")
        labels = self._render_and_ingest(exp, campaigns, jobs, total, workers or os.cpu_count() or 1)
        self._finish(exp, plot_types, campaigns, labels, truth, users, seed)
        self._alarm_rules(exp)
        self.stdout.write(
            self.style.SUCCESS(
                f"demo ready: {Plot.objects.filter(experiment=exp).count()} plots, "
                f"{Plot.objects.filter(experiment=exp, label_class__isnull=False).count()} labeled, "
                f"in {time.perf_counter() - started:.0f} s. Log in as demo / demo-password."
            )
        )
        self._then_train(experiment, train, background)

    def _then_train(self, experiment, train: bool, background: bool) -> None:
        if train:
            self._train(experiment)
        if background:
            self._train_in_background(experiment)

    @staticmethod
    def _render_jobs(run_numbers: list[int], seed: int):
        """One render job per run and demo plot type, and the failure chosen for each (the truth)."""
        from ml.synthetic import DEMO_PLOT_TYPES, choose_failure

        jobs, truth = [], {}
        for number in run_numbers:
            for demo in DEMO_PLOT_TYPES:
                failure = choose_failure(demo, number, seed)
                truth[(demo.name, number)] = failure
                jobs.append((demo.name, number, seed, failure))
        return jobs, truth

    def _render_and_ingest(self, exp, campaigns, jobs, total: int, workers: int) -> dict[tuple[str, int], str]:
        """Render every job once per campaign (in ``workers`` processes) and ingest the images in batches of 200."""
        labels: dict[tuple[str, int], str] = {}
        with Ingestor(exp, campaign=ONLINE) as ingestor:
            pool = ProcessPoolExecutor(workers, mp_context=get_context("spawn")) if workers > 1 else None
            try:
                done = 0
                for camp_index, camp in enumerate(campaigns):
                    # The offline pass re-renders the same runs with another seed: same failures, new noise.
                    camp_jobs = [(n, r, s + camp_index * 1000, f) for n, r, s, f in jobs]
                    results = pool.map(render, camp_jobs, chunksize=8) if pool else map(render, camp_jobs)
                    batch = []
                    for name, number, data, label in results:
                        labels[(name, number)] = label
                        ref = PlotRef(plot_type=name, run=number, run_period=RUN_PERIOD, chunk=0, campaign=camp.name)
                        batch.append(
                            Source(name=f"{camp.name}/{RUN_PERIOD}/Run{number:06d}/{name}.png", ref=ref, data=data)
                        )
                        if len(batch) >= 200:
                            done += self._ingest(ingestor, batch)
                            batch = []
                            self.stdout.write(f"  {done}/{total} plots")
                    done += self._ingest(ingestor, batch)
                    self.stdout.write(f"  {done}/{total} plots")
            finally:
                if pool:
                    pool.shutdown()
        return labels

    def _train_in_background(self, experiment):
        """Queue the default model's training once: only while the experiment has no model at all."""
        from apps.jobs.runner import fail_interrupted
        from apps.monitoring.management.commands._wait import in_process
        from apps.monitoring.models import ClassifierModel
        from apps.monitoring.services import request_training
        from ml.synthetic import DEMO_PLOT_TYPES

        if in_process():
            # Jobs of the embedded set-up run inside the portal, which is not serving while make demo
            # seeds: one left running was cut short (and its model, failed, does not count below).
            fail_interrupted()
        models = ClassifierModel.objects.filter(plot_type__experiment__name=experiment)
        if models.exclude(status=ClassifierModel.Status.FAILED).exists():
            return
        names = [d.name for d in DEMO_PLOT_TYPES]
        types = sorted(
            PlotType.objects.filter(experiment__name=experiment, name__in=names), key=lambda t: names.index(t.name)
        )
        if not types:
            return
        req = request_training(types[0], shared_with=types[1:], activate=True, classify_after=True, defer=in_process())
        if req.job is not None:
            self.stdout.write(
                f"training the default model in the background (job #{req.job.pk}); "
                "follow it on the Models page, verdicts follow when it is ready"
            )

    def _train(self, experiment):
        from django.core.management import call_command

        from apps.monitoring.management.commands._wait import in_process
        from ml.synthetic import DEMO_PLOT_TYPES

        names = [d.name for d in DEMO_PLOT_TYPES]
        args = [a for name in names for a in ("--plot-type", name)]
        if not in_process():
            # With an external broker the jobs run in `manage.py rundramatiq`: wait for them, since the
            # verdicts below need the model active.
            self.stdout.write("training runs in a worker (manage.py rundramatiq); waiting for it")
        out = {"stdout": self.stdout, "stderr": self.stderr}
        call_command("train", *args, "--shared", "--experiment", experiment, "--wait", **out)
        # The model is active now: give the plots already seeded their verdicts too.
        call_command("classify", "--wait", **out)

    def _ingest(self, ingestor: Ingestor, batch: list[Source]) -> int:
        if not batch:
            return 0
        report = ingestor.ingest(batch)
        for outcome in report.rejected:
            self.stderr.write(f"rejected {outcome.name}: {outcome.reason}")
        return len(batch)

    def _structure(self, name, demo_types):
        exp, _ = Experiment.objects.get_or_create(
            name=name,
            defaults={"description": "Synthetic GlueX-like monitoring plots from Hall D (demo data)."},
        )
        ensure_default_classes(exp)
        LabelClass.objects.get_or_create(
            experiment=exp,
            name="Ignore",
            defaults={"colour": "#adb5bd", "hotkey": "i", "excluded_from_training": True, "order": 9},
        )
        RunPeriod.objects.get_or_create(experiment=exp, name=RUN_PERIOD)
        online, _ = Campaign.objects.get_or_create(
            experiment=exp, name=ONLINE, defaults={"kind": CampaignKind.ONLINE, "description": "Online monitoring."}
        )
        offline, _ = Campaign.objects.get_or_create(
            experiment=exp,
            name=OFFLINE,
            defaults={
                "kind": CampaignKind.OFFLINE,
                "is_reference": True,
                "description": "Offline reconstruction, version 01: the reference pass.",
            },
        )
        plot_types = {}
        for demo in demo_types:
            plot_types[demo.detector], _ = PlotType.objects.update_or_create(
                experiment=exp,
                name=demo.name,
                defaults={
                    "detector": demo.detector,
                    "description": demo.description,
                    "expert_contact": f"{demo.detector} on-call expert <{demo.detector.lower()}-oncall@example.org>",
                    "collect_fraction": 0.1,
                },
            )
        super_group, _ = PlotGroup.objects.get_or_create(
            experiment=exp, slug="hall-d", defaults={"name": SUPER_GROUP, "kind": GroupKind.DETECTOR}
        )
        for group_name, detectors in GROUPS.items():
            group, _ = PlotGroup.objects.get_or_create(
                experiment=exp, name=group_name, defaults={"kind": GroupKind.DETECTOR}
            )
            group.plot_types.add(*(plot_types[d] for d in detectors))
            group.parents.add(super_group)
        shift, _ = PlotGroup.objects.get_or_create(
            experiment=exp, name=SHIFT_GROUP[0], defaults={"kind": GroupKind.WORKING_GROUP}
        )
        shift.plot_types.add(*(plot_types[d] for d in SHIFT_GROUP[1]))
        return exp, plot_types, [online, offline]

    def _users(self, exp):
        User = get_user_model()
        users = {}
        for username, password, roles, superuser in USERS:
            user = User.objects.filter(username=username).first()
            if user is None:
                make = User.objects.create_superuser if superuser else User.objects.create_user
                user = make(username=username, password=password, email=f"{username}@example.org")
            user.groups.add(*Group.objects.filter(name__in=roles))
            users[username] = user
        hall_d = PlotGroup.objects.get(experiment=exp, slug="hall-d")
        shift = PlotGroup.objects.get(experiment=exp, name=SHIFT_GROUP[0])
        LabelingGrant.objects.get_or_create(user=users["expert"], plot_group=hall_d)
        LabelingGrant.objects.get_or_create(user=users["shifter"], plot_group=shift)
        return users

    def _runs(self, exp, numbers, seed):
        period = RunPeriod.objects.get(experiment=exp, name=RUN_PERIOD)
        rng = random.Random(seed)
        start = timezone.now() - timedelta(hours=2 * len(numbers))
        existing = set(Run.objects.filter(experiment=exp, number__in=numbers).values_list("number", flat=True))
        Run.objects.bulk_create(
            [
                Run(
                    experiment=exp,
                    run_period=period,
                    number=n,
                    started_at=start + timedelta(hours=2 * i),
                    conditions={
                        "beam_current_nA": round(rng.uniform(50, 250), 1),
                        "radiator": rng.choice(["JD70-100 58um", "JD70-103 47um"]),
                        "beam_on": rng.random() > 0.05,
                    },
                )
                for i, n in enumerate(numbers)
                if n not in existing
            ]
        )

    def _alarm_rules(self, exp):
        """Two alarm rules, so the Alarms page has something to show once the demo has verdicts: a
        confirmed Bad verdict on any plot type, and verdicts flickering on the shift checklist.
        Verdicts already stored are evaluated through the rules' normal path."""
        from apps.alerts.choices import RuleKind, Severity
        from apps.alerts.evaluate import evaluate
        from apps.alerts.models import Rule

        rules = [
            (
                "Bad verdict confirmed on any plot type",
                {"plot_group": PlotGroup.objects.get(experiment=exp, slug="hall-d"), "kind": RuleKind.CONFIRMED_BAD},
                {"flicker_changes": 0},
            ),
            (
                "Shift checklist verdicts flicker",
                {"plot_group": PlotGroup.objects.get(experiment=exp, name=SHIFT_GROUP[0]), "kind": RuleKind.K_OF_N},
                {"severity": Severity.MINOR, "k": 2, "n": 3, "flicker_changes": 3, "flicker_window": 5},
            ),
        ]
        created = False
        for name, scope, extra in rules:
            _, new = Rule.objects.get_or_create(experiment=exp, name=name, defaults={**scope, **extra})
            created = created or new
        if created:
            types = PlotType.objects.filter(experiment=exp).values_list("id", flat=True)
            evaluate(list(types), experiment_id=exp.pk)

    @transaction.atomic
    def _finish(self, exp, plot_types, campaigns, labels, truth, users, seed):
        classes = {c.name: c for c in LabelClass.objects.filter(experiment=exp)}
        rng = random.Random(seed)
        plots = list(
            Plot.objects.filter(experiment=exp, label_class__isnull=True).select_related("plot_type").order_by("id")
        )
        for plot in plots:
            failure = truth.get((plot.plot_type.name, plot.run_number))
            plot.simulated_failure = failure or ""
            plot.training_weight = 0 if plot.run_number % HELD_OUT_EVERY == 0 else 1
        Plot.objects.bulk_update(plots, ["simulated_failure", "training_weight"], batch_size=500)

        by_user: dict[str, list] = {"expert": [], "shifter": []}
        for plot in plots:
            if rng.random() < LABELED_SHARE:
                label = labels.get((plot.plot_type.name, plot.run_number))
                if label:
                    who = (
                        "shifter"
                        if plot.plot_type.detector in ("CDC", "FCAL", "RF") and rng.random() < 0.4
                        else "expert"
                    )
                    by_user[who].append((plot, classes[label]))
        for who, pairs in by_user.items():
            for i in range(0, len(pairs), 500):
                apply_labels(pairs[i : i + 500], user=users[who])

        # A Good plot of the reference campaign is each plot type's reference.
        reference = next(c for c in campaigns if c.is_reference)
        for plot_type in plot_types.values():
            ref = (
                Plot.objects.filter(plot_type=plot_type, campaign=reference, simulated_failure="")
                .order_by("-run_number")
                .first()
            )
            if ref:
                PlotType.objects.filter(pk=plot_type.pk).update(reference_plot=ref)
        Announcement.objects.get_or_create(
            message="Demo portal: synthetic GlueX-like monitoring plots. Log in as demo / demo-password.",
        )
