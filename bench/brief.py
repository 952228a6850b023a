"""Time a shift brief over 1,000,000 plots in MariaDB (target: under 10 s).

Creates a private database (hydra_bench_brief by default), migrates it, and generates with bulk
``INSERT ... SELECT`` from MariaDB's SEQUENCE engine, all inside the brief's period (the last 8 hours):

- N plots (500 plot types x N/500 runs), one real image file shared by every row;
- one verdict per plot (3 % Bad, 10 % unconfirmed, and unconfirmed streaks on every 50th plot type);
- labels on 5 % of the plots by five people, a model activation per 100 plot types, a finished
  validation report and a few alarms (one acknowledged, one flicker).

Then computes the brief (apps.briefs.content.compute, the same call the page, the API, the command
and the scheduler make) ``--repeat`` times and prints the median and the worst; the text is rendered
once and its head printed. The database is dropped at the end unless ``--keep``.

    nice -n 19 python bench/brief.py                       # 1,000,000 plots
    python bench/brief.py --plots 100000 --repeat 3        # a quick try
    python bench/brief.py --url mysql://root@127.0.0.1:3306/hydra_bench_brief --keep
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PLOT_TYPES = 500
FIRST_RUN = 30000
CHUNK = 100_000
TARGET_S = 10.0
PERIOD_HOURS = 8


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--plots", type=int, default=1_000_000, help="plot rows (default 1,000,000; at most 5,000,000)")
    parser.add_argument(
        "--url", default=os.environ.get("HYDRA_BENCH_BRIEF_URL", "mysql://root@127.0.0.1:3306/hydra_bench_brief")
    )
    parser.add_argument("--repeat", type=int, default=5, help="timed briefs (median reported)")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()
    if not 1000 <= args.plots <= 5_000_000:
        parser.error("--plots must be between 1,000 and 5,000,000")
    name = urlsplit(args.url).path.lstrip("/")
    if not name.startswith("hydra_bench"):
        parser.error("the database name must start with hydra_bench (it is dropped afterwards)")
    return args


def _server(url: str):
    import MySQLdb

    parts = urlsplit(url)
    conn = MySQLdb.connect(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 3306,
        user=parts.username or "root",
        passwd=parts.password or "",
    )
    return conn, parts.path.lstrip("/")


def create_database(url: str) -> None:
    conn, name = _server(url)
    cursor = conn.cursor()
    cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
    cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
    conn.close()


def drop_database(url: str) -> None:
    conn, name = _server(url)
    conn.cursor().execute(f"DROP DATABASE IF EXISTS `{name}`")
    conn.close()


def setup_django(url: str, media: Path) -> None:
    os.environ["HYDRA_DATABASE_URL"] = url
    os.environ["HYDRA_MEDIA_ROOT"] = str(media)
    os.environ.setdefault("HYDRA_DEBUG", "false")
    os.environ.setdefault("HYDRA_SECRET_KEY", "bench-only-secret-key-not-for-production")
    os.environ.setdefault("HYDRA_SSL_REDIRECT", "false")
    os.environ.setdefault("HYDRA_SECURE_COOKIES", "false")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hydra_portal.settings")
    import django

    django.setup()


def seq(lo: int, hi: int) -> str:
    return f"(SELECT seq AS n FROM seq_{lo}_to_{hi - 1})"


def generate(n_plots: int):
    """The rows of one 8-hour shift; returns (experiment, since, until)."""
    from datetime import timedelta

    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.utils import timezone

    from apps.alerts.choices import Reason, State
    from apps.alerts.models import Alarm, Rule
    from apps.experiments.models import Campaign, Experiment, Run, RunPeriod
    from apps.labels.defaults import ensure_default_classes
    from apps.labels.models import LabelClass
    from apps.monitoring.models import Activation, ClassifierModel
    from apps.plots import imaging
    from apps.plots.models import PlotType
    from apps.validation.models import ValidationReport
    from tests.factories import png_bytes

    started = time.perf_counter()
    until = timezone.now().replace(microsecond=0) + timedelta(minutes=1)
    since = until - timedelta(hours=PERIOD_HOURS)
    limits = imaging.Limits(max_bytes=10**8, max_pixels=10**8, thumbnail_width=settings.THUMBNAIL_WIDTH)
    stored = imaging.store(png_bytes(480, 360), limits, str(settings.MEDIA_ROOT))

    exp = Experiment.objects.create(name="Bench brief", slug="bench-brief")
    ensure_default_classes(exp)
    classes = {c.name: c.pk for c in LabelClass.objects.filter(experiment=exp)}
    period = RunPeriod.objects.create(experiment=exp, name="RunPeriod-2026-12")
    campaign = Campaign.objects.create(experiment=exp, name="online")
    reference = Campaign.objects.create(experiment=exp, name="reference")
    PlotType.objects.bulk_create(PlotType(experiment=exp, name=f"plot_{i:03d}") for i in range(PLOT_TYPES))
    types = list(PlotType.objects.filter(experiment=exp).order_by("id"))
    ClassifierModel.objects.bulk_create(
        ClassifierModel(plot_type=t, version=1, status="ready", label_map=["Bad", "Good"]) for t in types
    )
    models = list(ClassifierModel.objects.filter(plot_type__experiment=exp).order_by("plot_type_id"))
    type_lo, model_lo = types[0].pk, models[0].pk
    assert types[-1].pk - type_lo + 1 == PLOT_TYPES and models[-1].pk - model_lo + 1 == PLOT_TYPES, "ids not contiguous"
    users = [get_user_model().objects.create(username=f"bench-crew-{i}") for i in range(5)]

    n_runs = -(-n_plots // PLOT_TYPES)
    with connection.cursor() as c:
        c.execute(
            f"""INSERT INTO experiments_run (experiment_id, run_period_id, number, started_at, conditions)
                SELECT %s, %s, %s + n, NULL, '{{}}' FROM {seq(0, n_runs)} AS s ORDER BY n""",
            [exp.pk, period.pk, FIRST_RUN],
        )
    run_lo = Run.objects.filter(experiment=exp).order_by("number").values_list("id", flat=True)[0]
    step_ms = PERIOD_HOURS * 3600 * 1000 // (n_plots + 1)
    print(f"  {n_runs:,} runs, {PLOT_TYPES} plot types; inserting {n_plots:,} plots and verdicts ...", flush=True)
    params = {
        "type_lo": type_lo,
        "types": PLOT_TYPES,
        "run_lo": run_lo,
        "campaign": campaign.pk,
        "exp": exp.pk,
        "period": period.pk,
        "first_run": FIRST_RUN,
        "image": stored.image,
        "thumb": stored.thumbnail,
        "sha": stored.sha256,
        "size": stored.size_bytes,
        "since": since.replace(tzinfo=None),
        "step": step_ms,
    }
    for lo in range(0, n_plots, CHUNK):
        hi = min(lo + CHUNK, n_plots)
        with transaction.atomic(), connection.cursor() as c:
            c.execute(
                f"""
                INSERT INTO plots_plot (plot_type_id, run_id, campaign_id, chunk, experiment_id, run_period_id,
                    run_number, image, thumbnail, sha256, size_bytes, width, height, original_path, ingested_at,
                    training_weight, simulated_failure)
                SELECT %(type_lo)s + n MOD %(types)s, %(run_lo)s + n DIV %(types)s, %(campaign)s, 0, %(exp)s,
                       %(period)s, %(first_run)s + n DIV %(types)s, %(image)s, %(thumb)s, %(sha)s, %(size)s,
                       480, 360, '', %(since)s + INTERVAL ((n + 1) * %(step)s) * 1000 MICROSECOND, 1, ''
                FROM {seq(lo, hi)} AS s ORDER BY n
                """,
                params,
            )
        print(f"    {hi:>10,} plots  ({time.perf_counter() - started:6.1f} s)", flush=True)
    with connection.cursor() as c:
        c.execute("SELECT MIN(id), MAX(id) FROM plots_plot WHERE experiment_id = %s", [exp.pk])
        plot_lo, plot_hi = c.fetchone()
    # Verdicts: 3 % Bad; every 50th plot type unconfirmed on runs whose number ends in 00-04 (streaks of 5),
    # elsewhere 10 % unconfirmed at random.
    for lo in range(plot_lo, plot_hi + 1, CHUNK):
        hi = min(lo + CHUNK, plot_hi + 1)
        with transaction.atomic(), connection.cursor() as c:
            c.execute(
                """
                INSERT INTO monitoring_classification (plot_id, model_id, plot_type_id, run_number, verdict_class_id,
                    confidence, scores, confirmed, gradcam, created_at)
                SELECT p.id, %(model_lo)s + (p.plot_type_id - %(type_lo)s), p.plot_type_id, p.run_number,
                       IF(CRC32(p.id) MOD 100 < 3, %(bad)s, %(good)s),
                       0.5 + (CRC32(p.id * 7) MOD 500) / 1000.0, '{}',
                       NOT (((p.plot_type_id - %(type_lo)s) MOD 50 = 0 AND p.run_number MOD 100 < 5)
                            OR CRC32(p.id * 13) MOD 100 < 10),
                       '', p.ingested_at + INTERVAL 2 SECOND
                FROM plots_plot p WHERE p.id >= %(lo)s AND p.id < %(hi)s
                """,
                {
                    "model_lo": model_lo,
                    "type_lo": type_lo,
                    "bad": classes["Bad"],
                    "good": classes["Good"],
                    "lo": lo,
                    "hi": hi,
                },
            )
        print(f"    verdicts up to plot id {hi - 1:,} ({time.perf_counter() - started:6.1f} s)", flush=True)
    with connection.cursor() as c:
        who = " ".join(f"WHEN {i} THEN {u.pk}" for i, u in enumerate(users))
        c.execute(
            f"""INSERT INTO labels_label (plot_id, label_class_id, user_id, comment, created_at)
                SELECT id, IF(CRC32(id) MOD 100 < 3, %s, %s), CASE id MOD 5 {who} END, '',
                       ingested_at + INTERVAL 60 SECOND
                FROM plots_plot WHERE experiment_id = %s AND CRC32(id * 31) MOD 100 < 5""",
            [classes["Bad"], classes["Good"], exp.pk],
        )
        c.execute("ANALYZE TABLE plots_plot, monitoring_classification, labels_label")
        c.fetchall()
    Activation.objects.bulk_create(
        Activation(plot_type=t, model=m, previous=None, user=users[0], note="bench")
        for t, m in list(zip(types, models, strict=True))[::100]
    )
    ValidationReport.objects.create(
        experiment=exp,
        campaign=campaign,
        reference=reference,
        status="ready",
        computed_at=until - timedelta(hours=1),
        summary={"verdict": "warn", "counts": {"pass": 480, "warn": 20, "fail": 0, "non_comparable": 0}},
    )
    rule = Rule.objects.create(experiment=exp, name="bench rule", plot_type=types[0])
    now = timezone.now()
    Alarm.objects.create(
        experiment=exp,
        rule=rule,
        plot_type=types[0],
        reason=Reason.BAD,
        state=State.ACKNOWLEDGED,
        state_order=1,
        summary="2 Bad of the last 3 runs",
        acknowledged_by=users[1],
        acknowledged_at=now,
    )
    Alarm.objects.create(experiment=exp, rule=rule, plot_type=types[50], reason=Reason.FLICKER, summary="flicker")
    print(f"  generated in {time.perf_counter() - started:.0f} s", flush=True)
    return exp, since, until


def main():
    args = parse_args()
    import tempfile

    media = Path(tempfile.mkdtemp(prefix="hydra-bench-brief-"))
    create_database(args.url)
    try:
        setup_django(args.url, media)
        from django.core.management import call_command

        t0 = time.perf_counter()
        call_command("migrate", verbosity=0)
        print(f"  migrated in {time.perf_counter() - t0:.0f} s", flush=True)
        exp, since, until = generate(args.plots)

        from apps.briefs.content import compute
        from apps.briefs.render import render_text

        times, content = [], None
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            content = compute(exp, since, until)
            times.append(time.perf_counter() - t0)
        text = render_text(content, "Day", "bench note")
        median, worst = statistics.median(times), max(times)
        print("\n" + "\n".join(text.splitlines()[:12]) + "\n  ...")
        print(
            f"\nbrief over {content['plots']['ingested']:,} plots, {content['classified']['total']:,} verdicts, "
            f"{content['labels']['total']:,} labels, {content['runs']['count']:,} runs: "
            f"median {median:.2f} s, worst {worst:.2f} s of {args.repeat} (target < {TARGET_S:.0f} s)"
        )
        assert content["plots"]["ingested"] == args.plots, content["plots"]
        ok = median < TARGET_S
        print("OK" if ok else "SLOWER THAN THE TARGET")
        return 0 if ok else 1
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            drop_database(args.url)
        import shutil

        shutil.rmtree(media, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
