"""Time run-condition filters at a million plots or more in MariaDB (server time, median of N).

Builds (or reuses) the plot rows of ``bench/pages_at_scale.py`` in its own database, gives every
bench run conditions (beam current, run type, production flag, target: about a third of the runs
are special), indexes them, and times with Django's test Client:

- the plot browser with a condition expression: first, middle and last page;
- the same in the API's plot list, the API's run list, and the labeler;
- the condition query alone (the run ids an expression chooses).

    nice -n 19 python bench/conditions_at_scale.py --plots 1000000
    python bench/conditions_at_scale.py --plots 13500000 --url mysql://root@127.0.0.1:3306/hydra_scale
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import pages_at_scale as scale  # noqa: E402

TARGET_MS = 200
EXPRESSIONS = [
    ("production, beam > 100", '@is_production and beam_current > 100 and run_type == "production"'),
    ("special runs", "not @is_production"),
    ("target in (LH2, LD2), beam 50-150", 'target in ("LH2", "LD2") and beam_current >= 50 and beam_current <= 150'),
]


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--plots", type=int, default=1_000_000)
    parser.add_argument(
        "--url", default=os.environ.get("HYDRA_BENCH_DATABASE_URL", "mysql://root@127.0.0.1:3306/hydra_conditions")
    )
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--regenerate", action="store_true")
    return parser.parse_args()


def give_conditions(exp) -> int:
    """Conditions for every bench run, by run number (deterministic), then indexed."""
    from django.db import connection

    from apps.experiments.production import reindex

    with connection.cursor() as c:
        c.execute(
            """UPDATE experiments_run SET conditions = JSON_OBJECT(
                   'beam_current', (CRC32(number) MOD 250) + 0.5,
                   'run_type', IF(number MOD 3 = 0, 'cosmic', 'production'),
                   'is_production', IF(number MOD 3 = 0, false, true),
                   'target', ELT(1 + number MOD 4, 'LH2', 'LD2', 'empty', 'Be'),
                   'event_count', number * 1000)
               WHERE experiment_id = %s""",
            [exp.pk],
        )
    started = time.perf_counter()
    rows = reindex(exp)
    print(f"  indexed {rows:,} condition rows in {time.perf_counter() - started:.1f} s", flush=True)
    with connection.cursor() as c:
        c.execute("ANALYZE TABLE experiments_runcondition, experiments_run")
        c.fetchall()
    return rows


def timed(client, url: str, repeat: int) -> tuple[float, int]:
    try:
        return _timed(client, url, repeat)
    except Exception as exc:  # a server error is reported in the table, the other cases still run
        print(f"  {url[:80]}: {type(exc).__name__}: {str(exc)[:120]}", flush=True)
        return float("nan"), 0


def _timed(client, url: str, repeat: int) -> tuple[float, int]:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code, response.content[:300])
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
    rows = len(response.context["page"].rows) if response.context and "page" in response.context else 0
    return statistics.median(times), rows


def main():
    args = parse_args()
    scale.create_database(args.url)
    scale.setup_django(args.url)
    from django.core.management import call_command
    from django.test import Client

    from apps.experiments.models import Experiment, RunCondition
    from apps.experiments.production import run_ids_matching
    from apps.plots.models import Plot, PlotType

    print(f"database: {args.url}")
    call_command("migrate", verbosity=0)
    exp = Experiment.objects.filter(slug=scale.EXPERIMENT).first()
    existing = Plot.objects.filter(experiment=exp).count() if exp else 0
    if args.regenerate or existing != args.plots:
        scale.generate(args.plots)
        exp = Experiment.objects.get(slug=scale.EXPERIMENT)
    else:
        print(f"  reusing {existing:,} bench plots")
    if not RunCondition.objects.filter(run__experiment=exp).exists() or args.regenerate:
        give_conditions(exp)
    n_runs = exp.runs.count()
    pt = PlotType.objects.filter(experiment=exp).order_by("id")[7]

    client = Client()
    results = []
    # The same pages without a condition, timed in the same run: the load of the machine shows here too.
    for label, url in (
        ("baseline browser: experiment, sort run", "/plots/?" + urlencode({"experiment": scale.EXPERIMENT})),
        ("baseline API plot list: experiment", "/api/v1/plots/?" + urlencode({"experiment": scale.EXPERIMENT})),
        ("baseline API run list: experiment", "/api/v1/runs/?" + urlencode({"experiment": scale.EXPERIMENT})),
        ("baseline labeler novel: plot type", "/labeler/?" + urlencode({"plot_type": pt.pk})),
    ):
        ms, _ = timed(client, url, args.repeat)
        results.append((label, "first", "", ms))
        print(f"  {label:<58} first   {ms:8.1f} ms", flush=True)
    for name, expression in EXPRESSIONS:
        started = time.perf_counter()
        for _ in range(args.repeat):
            chosen = run_ids_matching(expression, exp)
        ms = (time.perf_counter() - started) * 1000 / args.repeat
        results.append((f"condition query: {name}", "-", f"{len(chosen):,} of {n_runs:,} runs", ms))
        print(f"  {results[-1][0]:<58} {ms:8.1f} ms", flush=True)
        params = {"experiment": scale.EXPERIMENT, "conditions": expression, "sort": "-run"}
        cursor, total = scale.middle_cursor(params)
        for where, extra in (("first", {}), ("middle", {"after": cursor}), ("last", {"last": "1"})):
            ms, rows = timed(client, "/plots/?" + urlencode({**params, **extra}), args.repeat)
            results.append((f"browser: {name}", where, f"{total:,} plots", ms))
            print(f"  {results[-1][0]:<58} {where:<7} {ms:8.1f} ms", flush=True)
        typed = {**params, "plot_type": pt.pk}
        ms, _ = timed(client, "/plots/?" + urlencode(typed), args.repeat)
        results.append((f"browser: {name} + plot type", "first", "", ms))
        for label, url in (
            (f"API plot list: {name}", "/api/v1/plots/?" + urlencode(params)),
            (
                f"API run list: {name}",
                "/api/v1/runs/?" + urlencode({"experiment": scale.EXPERIMENT, "conditions": expression}),
            ),
            (f"labeler novel: {name}", "/labeler/?" + urlencode({"plot_type": pt.pk, "conditions": expression})),
        ):
            ms, _ = timed(client, url, args.repeat)
            results.append((label, "first", "", ms))
            print(f"  {label:<58} first   {ms:8.1f} ms", flush=True)

    print()
    print(
        f"Run-condition filters at {Plot.objects.count():,} plots, {n_runs:,} runs — server time, median of "
        f"{args.repeat}, target < {TARGET_MS} ms; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    )
    print(f"{'case':<62} {'page':<7} {'matching':>24} {'median ms':>10}  ok")
    for name, where, matching, ms in results:
        print(f"{name:<62} {where:<7} {matching:>24} {ms:>10.1f}  {'yes' if ms < TARGET_MS else 'NO'}")


if __name__ == "__main__":
    main()
