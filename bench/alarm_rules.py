"""Benchmark alarm rule evaluation: verdicts per second through the rules, as the worker sends them.

Sets up a temporary portal (SQLite by default; ``--database-url mysql://…`` for MariaDB), an
experiment of ``--types`` plot types, each watched by two rules (its own "2 Bad of the last 3 runs"
and a group rule "confirmed Bad" over all of them, flicker detection on), and ``--runs`` runs of
verdicts (mostly Good, Bad streaks and a flickering type). Then it sends ``verdicts_recorded`` one
run at a time (one batch per run, as the classification worker does per batch) and times the
evaluation alone: verdicts/s, per-batch p50/p95, alarms opened.

With ``--webhook N`` it then measures N times, one at a time on an idle portal, from a confirmed-Bad
verdict stored (and ``verdicts_recorded`` sent, as the worker does) to the alarm's signed webhook
received by an HTTP server on loopback, through the notifications outbox (queued in the alarm's
transaction, sent by its after-commit thread): p50, p95, max.

    python bench/alarm_rules.py [--types 64] [--runs 50] [--webhook 30] [--database-url mysql://root@127.0.0.1:3306/hydra_bench]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def setup(var: Path, database_url: str | None):
    for key in [k for k in os.environ if k.startswith("HYDRA_")]:
        del os.environ[key]
    os.environ.update(HYDRA_VAR_DIR=str(var), HYDRA_DEBUG="true", HYDRA_LOG_LEVEL="ERROR", TF_CPP_MIN_LOG_LEVEL="2")
    if database_url:
        os.environ["HYDRA_DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "hydra_portal.settings"
    import django

    django.setup()
    from django.core.management import call_command

    if database_url:
        import MySQLdb
        from django.db import connection

        db = connection.settings_dict  # a fresh bench database each time
        server = MySQLdb.connect(
            host=db["HOST"] or "127.0.0.1", port=int(db["PORT"] or 3306), user=db["USER"], password=db["PASSWORD"] or ""
        )
        cursor = server.cursor()
        cursor.execute(f"DROP DATABASE IF EXISTS `{db['NAME']}`")
        cursor.execute(f"CREATE DATABASE `{db['NAME']}` CHARACTER SET utf8mb4")
        server.close()
    call_command("migrate", verbosity=0)


def verdict_for(type_index: int, run_index: int) -> str:
    """Mostly Good; type 0 goes Bad from run 10; type 1 flickers; every 7th type has a Bad run now and then."""
    if type_index == 0 and run_index >= 10:
        return "Bad"
    if type_index == 1:
        return "Bad" if run_index % 2 else "Good"
    if type_index % 7 == 3 and run_index % 9 in (4, 5):
        return "Bad"
    return "Good"


def build(n_types: int, n_runs: int):
    from apps.alerts.models import Rule
    from apps.experiments.models import Campaign, Experiment, Run, RunPeriod
    from apps.labels.defaults import ensure_default_classes
    from apps.monitoring.models import ClassifierModel
    from apps.plots.models import Plot, PlotGroup, PlotType

    exp = Experiment.objects.create(name="Bench")
    classes = {c.name: c for c in ensure_default_classes(exp)}
    period = RunPeriod.objects.create(experiment=exp, name="RunPeriod-2025-01")
    campaign = Campaign.objects.create(experiment=exp, name="online")
    types = [
        PlotType.objects.create(experiment=exp, name=f"PT_{i:03d}", expert_contact=f"Expert {i} <e{i}@lab.example>")
        for i in range(n_types)
    ]
    group = PlotGroup.objects.create(experiment=exp, name="Everything")
    group.plot_types.add(*types)
    models = {
        t.pk: ClassifierModel.objects.create(
            plot_type=t,
            version=1,
            status="ready",
            label_map=["Bad", "Good"],
            class_ids=[classes["Bad"].pk, classes["Good"].pk],
        )
        for t in types
    }
    for t in types:
        Rule.objects.create(
            experiment=exp, name=f"{t.name} 2 of 3", plot_type=t, kind="k_of_n", targets=["email:shift@lab.example"]
        )
    Rule.objects.create(
        experiment=exp,
        name="Everything Bad",
        plot_group=group,
        kind="confirmed_bad",
        targets=["webhook:http://127.0.0.1:9/hook"],
    )
    batches = []
    for r in range(n_runs):
        run = Run.objects.create(
            experiment=exp, run_period=period, number=10_000 + r, conditions={"run_type": "production"}
        )
        plots = Plot.objects.bulk_create(
            [
                Plot(
                    plot_type=t,
                    run=run,
                    campaign=campaign,
                    experiment=exp,
                    run_period=period,
                    run_number=run.number,
                    image=f"x/{run.number}/{t.pk}.png",
                    thumbnail=f"x/{run.number}/{t.pk}_t.png",
                    sha256="0" * 64,
                    size_bytes=1,
                    width=1,
                    height=1,
                )
                for t in types
            ]
        )
        if any(p.pk is None for p in plots):
            plots = list(Plot.objects.filter(run=run).order_by("plot_type_id"))
        batches.append(plots)
    return exp, types, models, classes, batches


def store(batch, i_run, types, models, classes):
    """Store one run's verdicts like the worker (plot copy and Classification rows); returns their ids."""
    from django.utils import timezone

    from apps.monitoring.models import Classification
    from apps.plots.models import Plot

    index = {t.pk: i for i, t in enumerate(types)}
    now = timezone.now()
    rows = []
    for plot in batch:
        verdict = classes[verdict_for(index[plot.plot_type_id], i_run)]
        plot.verdict_class, plot.verdict_confidence, plot.verdict_confirmed, plot.classified_at = (
            verdict,
            0.97,
            True,
            now,
        )
        rows.append(
            Classification(
                plot=plot,
                model=models[plot.plot_type_id],
                plot_type_id=plot.plot_type_id,
                run_number=plot.run_number,
                verdict_class=verdict,
                confidence=0.97,
                scores={},
                confirmed=True,
            )
        )
    created = Classification.objects.bulk_create(rows)
    Plot.objects.bulk_update(batch, ["verdict_class", "verdict_confidence", "verdict_confirmed", "classified_at"])
    if any(r.pk is None for r in created):
        return list(Classification.objects.filter(plot__in=batch).values_list("id", flat=True))
    return [r.pk for r in created]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--types", type=int, default=64)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--webhook", type=int, default=0, help="also time N verdict → webhook deliveries")
    args = parser.parse_args()
    var = Path(tempfile.mkdtemp(prefix="hydra-bench-alarms-"))
    try:
        setup(var, args.database_url)
        evaluate(args.types, args.runs)
        if args.webhook:
            webhook_latency(args.webhook)
    finally:
        shutil.rmtree(var, ignore_errors=True)


def evaluate(n_types: int, n_runs: int) -> None:
    import logging

    from apps.alerts.models import Alarm
    from apps.monitoring.models import Classification
    from apps.monitoring.signals import verdicts_recorded

    logging.getLogger("apps.alerts").setLevel(logging.ERROR)
    from django.conf import settings
    from django.urls import reverse

    reverse("alarm-list")  # load the URL configuration first, as a running portal has
    # Deliveries are queued with the alarms (that is timed) but not sent from this process meanwhile:
    # their threads would share its CPU time; the webhook phase sends them.
    settings.NOTIFY_SEND_ON_COMMIT = False
    exp, types, models, classes, batches = build(n_types, n_runs)
    from apps.alerts.models import AlarmEvent

    times = []
    quiet = []  # batches that opened, resolved or notified nothing: the common case on a good night
    cpu = 0.0
    verdicts = 0
    for i, batch in enumerate(batches):
        ids = store(batch, i, types, models, classes)
        events = AlarmEvent.objects.count()
        start, start_cpu = time.perf_counter(), time.process_time()
        verdicts_recorded.send(Classification, classification_ids=ids)
        times.append(time.perf_counter() - start)
        cpu += time.process_time() - start_cpu
        verdicts += len(ids)
        if AlarmEvent.objects.count() == events:
            quiet.append(times[-1])
    total = sum(times)
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    alarms = Alarm.objects.filter(experiment=exp)
    print(f"{verdicts} verdicts in {len(batches)} batches of {n_types}, {2 * n_types} rules watching")
    print(f"rule evaluation: {verdicts / total:,.0f} verdicts/s ({total:.2f} s in all)")
    # On a shared machine the wall clock includes waiting for a core; the process's CPU time does not.
    print(f"rule evaluation per CPU second: {verdicts / cpu:,.0f} verdicts/s ({cpu:.2f} CPU s)")
    print(f"per batch: p50 {statistics.median(times) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms")
    if quiet:
        rate = len(quiet) * n_types / sum(quiet)
        print(f"batches changing no alarm ({len(quiet)} of {len(times)}): {rate:,.0f} verdicts/s")
    print(
        f"alarms: {alarms.count()} opened "
        f"({alarms.filter(reason='flicker').count()} flicker, {alarms.exclude(state='resolved').count()} still open)"
    )


def webhook_latency(samples: int) -> None:
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from django.conf import settings

    from apps.alerts.models import Rule
    from apps.experiments.models import Campaign, Experiment, Run, RunPeriod
    from apps.labels.defaults import ensure_default_classes
    from apps.monitoring.models import Classification, ClassifierModel
    from apps.monitoring.signals import verdicts_recorded
    from apps.plots.models import Plot, PlotGroup, PlotType

    received: dict[int, float] = {}
    arrived = threading.Condition()

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            now = time.perf_counter()
            self.send_response(200)
            self.end_headers()
            alarm = json.loads(body)["payload"]["alarm"]
            with arrived:
                received.setdefault(alarm, now)
                arrived.notify_all()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.WEBHOOK_SECRET = "bench"
    settings.NOTIFY_SEND_ON_COMMIT = True
    url = f"http://127.0.0.1:{server.server_address[1]}/hook"

    exp = Experiment.objects.create(name="Bench webhook")
    classes = {c.name: c for c in ensure_default_classes(exp)}
    period = RunPeriod.objects.create(experiment=exp, name="RunPeriod-2025-02")
    campaign = Campaign.objects.create(experiment=exp, name="online")
    group = PlotGroup.objects.create(experiment=exp, name="Shift")
    Rule.objects.create(
        experiment=exp,
        name="Shift Bad",
        plot_group=group,
        kind="confirmed_bad",
        notify_expert=False,
        targets=[f"webhook:{url}"],
    )
    run = Run.objects.create(experiment=exp, run_period=period, number=20_000)
    latencies = []
    for i in range(samples):
        plot_type = PlotType.objects.create(experiment=exp, name=f"HOOK_{i:03d}")
        group.plot_types.add(plot_type)
        model = ClassifierModel.objects.create(
            plot_type=plot_type,
            version=1,
            status="ready",
            label_map=["Bad", "Good"],
            class_ids=[classes["Bad"].pk, classes["Good"].pk],
        )
        plot = Plot.objects.create(
            plot_type=plot_type,
            run=run,
            campaign=campaign,
            experiment=exp,
            run_period=period,
            run_number=run.number,
            image=f"x/h{i}.png",
            thumbnail=f"x/h{i}_t.png",
            sha256="0" * 64,
            size_bytes=1,
            width=1,
            height=1,
        )
        time.sleep(0.2)  # idle between samples
        start = time.perf_counter()
        store([plot], 0, [plot_type], {plot_type.pk: model}, {"Good": classes["Bad"], "Bad": classes["Bad"]})
        ids = list(plot.classifications.values_list("id", flat=True))
        verdicts_recorded.send(Classification, classification_ids=ids)
        alarm = plot_type_alarm(plot_type)
        with arrived:
            if not arrived.wait_for(lambda alarm=alarm: alarm in received, timeout=30):
                raise SystemExit(f"the webhook of alarm {alarm} did not arrive within 30 s")
        latencies.append(received[alarm] - start)
    server.shutdown()
    ordered = sorted(latencies)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    print(
        f"confirmed-Bad verdict → webhook received ({samples} alarms): "
        f"p50 {statistics.median(latencies) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms"
    )


def plot_type_alarm(plot_type) -> int:
    from apps.alerts.models import Alarm

    return Alarm.objects.filter(plot_type=plot_type).values_list("id", flat=True).get()


if __name__ == "__main__":
    main()
