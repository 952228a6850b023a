"""Time the portal's pages at a million plots or more in MariaDB (server time, median of 20).

Creates the database if missing, migrates, generates N plot rows with bulk SQL (one real image
file reused by every row; labels on a tenth of them, with history rows), then times with Django's
test Client against the real URLs:

- the plot browser's first, middle and last page, each with two filters and a sort;
- the labeler's novel page (unlabeled plots of one type, newest first, with the remaining count);
- the API's plot list, the dashboard (totals from the plot counters), and the trends pages and
  their series where the operations app provides them.

    python bench/pages_at_scale.py --plots 50000          # a quick try
    python bench/pages_at_scale.py                        # 1,000,000 plots (generated once, then reused)
    python bench/pages_at_scale.py --url mysql://root@127.0.0.1:3306/hydra_bench --repeat 20
    nice -n 19 python bench/pages_at_scale.py --plots 13500000 --url mysql://root@127.0.0.1:3306/hydra_scale

The plots are inserted behind the portal's back, so the per-plot-type counters are rebuilt
afterwards with ``manage.py recount`` (timed too).

Generation is skipped when the database already holds exactly N bench plots; --regenerate forces it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

EXPERIMENT = "bench-hall-d"
PLOT_TYPES = 50
DETECTORS = ("CDC", "FDC", "FCAL", "BCAL", "TOF", "SC", "RF", "TAGH", "PS", "DIRC")
FIRST_RUN = 10000
CHUNK = 100_000
TARGET_MS = 200


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--plots", type=int, default=1_000_000, help="plot rows to generate (default 1,000,000)")
    parser.add_argument(
        "--url", default=os.environ.get("HYDRA_BENCH_DATABASE_URL", "mysql://root@127.0.0.1:3306/hydra_bench")
    )
    parser.add_argument("--repeat", type=int, default=20, help="timed requests per case (median reported)")
    parser.add_argument("--regenerate", action="store_true", help="drop the bench rows and generate them again")
    parser.add_argument("--explain", action="store_true", help="print MariaDB's plan for each browser query")
    parser.add_argument("--only", default="", help="time only the pages whose name contains this text")
    parser.add_argument("--chunk", type=int, default=CHUNK, help="plots per INSERT ... SELECT transaction")
    return parser.parse_args()


def create_database(url: str) -> None:
    import MySQLdb

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    conn = MySQLdb.connect(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 3306,
        user=parts.username or "root",
        passwd=parts.password or "",
    )
    conn.cursor().execute(f"CREATE DATABASE IF NOT EXISTS `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
    conn.close()


def setup_django(url: str) -> None:
    os.environ["HYDRA_DATABASE_URL"] = url
    # Production-like: no query logging, no debug pages.
    os.environ.setdefault("HYDRA_DEBUG", "false")
    os.environ.setdefault("HYDRA_SECRET_KEY", "bench-only-secret-key-not-for-production")
    os.environ.setdefault("HYDRA_SSL_REDIRECT", "false")
    os.environ.setdefault("HYDRA_SECURE_COOKIES", "false")
    # Every timed request computes its page: the dashboard's few-second figure cache would hide the cost.
    os.environ.setdefault("HYDRA_PAGE_CACHE_SECONDS", "0")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hydra_portal.settings")
    import django

    django.setup()


def seq(lo: int, hi: int) -> str:
    """The integers lo..hi-1 as a row source (column n), from MariaDB's built-in SEQUENCE engine."""
    return f"(SELECT seq AS n FROM seq_{lo}_to_{hi - 1})"


def generate(n_plots: int, chunk: int = CHUNK) -> None:
    from django.db import connection, transaction

    from apps.experiments.models import Campaign, Experiment, Run, RunPeriod
    from apps.labels.defaults import ensure_default_classes
    from apps.labels.models import LabelClass
    from apps.plots import imaging
    from apps.plots.models import Plot, PlotGroup, PlotType

    started = time.perf_counter()
    old = Experiment.objects.filter(slug=EXPERIMENT).first()
    if old is not None:
        print("  dropping the previous bench rows ...", flush=True)
        with connection.cursor() as c:
            c.execute(
                "DELETE l FROM labels_label l JOIN plots_plot p ON p.id = l.plot_id WHERE p.experiment_id = %s",
                [old.pk],
            )
            c.execute("UPDATE plots_plottype SET reference_plot_id = NULL WHERE experiment_id = %s", [old.pk])
            c.execute("DELETE FROM plots_plot WHERE experiment_id = %s", [old.pk])
            c.execute("DELETE FROM experiments_run WHERE experiment_id = %s", [old.pk])
        old.delete()

    # One real image, written once; every row points at it.
    from django.conf import settings

    try:
        from ml.synthetic import DEMO_PLOT_TYPES, demo_plot

        data, _ = demo_plot(DEMO_PLOT_TYPES[0], FIRST_RUN, 1)
    except ImportError:
        from tests.factories import png_bytes

        data = png_bytes(480, 360)
    limits = imaging.Limits(max_bytes=10**8, max_pixels=10**8, thumbnail_width=settings.THUMBNAIL_WIDTH)
    stored = imaging.store(data, limits, str(settings.MEDIA_ROOT))

    exp = Experiment.objects.create(name="Bench Hall D", slug=EXPERIMENT)
    ensure_default_classes(exp)
    classes = {c.name: c for c in LabelClass.objects.filter(experiment=exp)}
    periods = [
        RunPeriod.objects.create(experiment=exp, name=name) for name in ("RunPeriod-2019-11", "RunPeriod-2023-01")
    ]
    campaign = Campaign.objects.create(experiment=exp, name="online")
    types = PlotType.objects.bulk_create(
        PlotType(
            experiment=exp, name=f"{DETECTORS[i % len(DETECTORS)]}_plot_{i:03d}", detector=DETECTORS[i % len(DETECTORS)]
        )
        for i in range(PLOT_TYPES)
    )
    types = list(PlotType.objects.filter(experiment=exp).order_by("id"))
    for det in DETECTORS[:4]:
        group = PlotGroup.objects.create(experiment=exp, name=f"{det} group")
        group.plot_types.add(*[t for t in types if t.detector == det])
    from django.contrib.auth import get_user_model

    users = []
    for i in range(5):
        users.append(get_user_model().objects.get_or_create(username=f"bench-labeler-{i}")[0])

    n_runs = -(-n_plots // PLOT_TYPES)
    with connection.cursor() as c:
        source = seq(0, n_runs)
        c.execute(
            f"""INSERT INTO experiments_run (experiment_id, run_period_id, number, started_at, conditions)
                SELECT %s, IF(n < %s, %s, %s), %s + n, NULL, '{{}}' FROM {source} AS s ORDER BY n""",
            [exp.pk, n_runs // 2, periods[0].pk, periods[1].pk, FIRST_RUN],
        )
    run_lo, run_hi = (
        Run.objects.filter(experiment=exp).order_by("number").values_list("id", flat=True)[0],
        Run.objects.filter(experiment=exp).order_by("-number").values_list("id", flat=True)[0],
    )
    type_lo, type_hi = types[0].pk, types[-1].pk
    # Run and plot-type ids are contiguous in a fresh bulk insert, so a plot's ids are arithmetic on n.
    assert run_hi - run_lo + 1 == n_runs and type_hi - type_lo + 1 == PLOT_TYPES, "ids are not contiguous"
    print(f"  {n_runs:,} runs, {PLOT_TYPES} plot types; inserting {n_plots:,} plots ...", flush=True)

    good, bad, nodata = classes["Good"].pk, classes["Bad"].pk, classes["NoData"].pk
    labeled_runs = n_runs // 5  # the oldest fifth of the runs is half labeled: a tenth of all plots
    for lo in range(0, n_plots, chunk):
        hi = min(lo + chunk, n_plots)
        with transaction.atomic(), connection.cursor() as c:
            source = seq(lo, hi)
            # Ingest time grows with n: the newest ~21,600 plots fall in the last 24 hours (one per 4 s).
            c.execute(
                f"""
                INSERT INTO plots_plot (plot_type_id, run_id, campaign_id, chunk, experiment_id, run_period_id,
                    run_number, image, thumbnail, sha256, size_bytes, width, height, original_path, ingested_at,
                    training_weight, simulated_failure, label_class_id, labeled_at)
                SELECT %(type_lo)s + n MOD %(types)s,
                       %(run_lo)s + n DIV %(types)s,
                       %(campaign)s, 0, %(exp)s,
                       IF(n DIV %(types)s < %(half)s, %(p0)s, %(p1)s),
                       %(first_run)s + n DIV %(types)s,
                       %(image)s, %(thumb)s, %(sha)s, %(size)s, 480, 360, '',
                       UTC_TIMESTAMP(6) - INTERVAL ((%(total)s - n) * 4) SECOND,
                       1, '',
                       CASE WHEN n DIV %(types)s < %(labeled_runs)s AND CRC32(n) MOD 2 = 0 THEN
                           CASE WHEN CRC32(n * 3 + 1) MOD 100 < 84 THEN %(good)s
                                WHEN CRC32(n * 3 + 1) MOD 100 < 96 THEN %(bad)s ELSE %(nodata)s END
                       END,
                       CASE WHEN n DIV %(types)s < %(labeled_runs)s AND CRC32(n) MOD 2 = 0 THEN
                           UTC_TIMESTAMP(6) - INTERVAL ((%(total)s - n) * 2) SECOND END
                FROM {source} AS s ORDER BY n
                """,
                {
                    "type_lo": type_lo,
                    "types": PLOT_TYPES,
                    "run_lo": run_lo,
                    "campaign": campaign.pk,
                    "exp": exp.pk,
                    "half": n_runs // 2,
                    "p0": periods[0].pk,
                    "p1": periods[1].pk,
                    "first_run": FIRST_RUN,
                    "image": stored.image,
                    "thumb": stored.thumbnail,
                    "sha": stored.sha256,
                    "size": stored.size_bytes,
                    "total": n_plots,
                    "labeled_runs": labeled_runs,
                    "good": good,
                    "bad": bad,
                    "nodata": nodata,
                },
            )
        print(f"    {hi:>10,} plots  ({time.perf_counter() - started:6.1f} s)", flush=True)
    with connection.cursor() as c:
        who = " ".join(f"WHEN {i} THEN {u.pk}" for i, u in enumerate(users))
        c.execute(
            f"""INSERT INTO labels_label (plot_id, label_class_id, user_id, comment, created_at)
                SELECT id, label_class_id, CASE id MOD 5 {who} END, '', labeled_at
                FROM plots_plot WHERE experiment_id = %s AND label_class_id IS NOT NULL""",
            [exp.pk],
        )
        c.execute("ANALYZE TABLE plots_plot, labels_label, experiments_run")
        c.fetchall()
    labeled = Plot.objects.filter(experiment=exp, label_class__isnull=False).count()
    print(f"  generated {n_plots:,} plots ({labeled:,} labeled) in {time.perf_counter() - started:.0f} s", flush=True)
    recount()


def recount() -> None:
    """Rebuild the plot and label counters of the bench rows, which SQL inserted behind their back."""
    from django.core.management import call_command

    started = time.perf_counter()
    call_command("recount", "--experiment", EXPERIMENT, verbosity=0)
    print(f"  manage.py recount: {time.perf_counter() - started:.1f} s", flush=True)


def timed(client, url: str, repeat: int) -> tuple[float, int]:
    response = client.get(url)  # warm-up: caches, connection, templates
    assert response.status_code == 200, (url, response.status_code)
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    # Plots shown: cards, list rows or labeler tiles all carry data-plot (no template instrumentation needed).
    return statistics.median(times), response.content.count(b' data-plot="')


_middles: dict[str, tuple[str, int]] = {}


def middle_cursor(params: dict) -> tuple[str, int]:
    """The cursor of the row halfway through the filtered, sorted plots (found once with OFFSET, not timed)."""
    key = urlencode(sorted(params.items()))
    if key not in _middles:
        _middles[key] = _middle_cursor(params)
    return _middles[key]


def _middle_cursor(params: dict) -> tuple[str, int]:
    from django.http import QueryDict

    from apps.core.pagination import encode_cursor
    from apps.plots.browsing import read_state

    state = read_state(QueryDict(urlencode(params)), None)
    qs = state.filterset.qs.order_by(*state.order)
    total = qs.count()
    fields = [o.lstrip("-") for o in state.order]
    row = qs.values_list(*fields)[total // 2 : total // 2 + 1][0]
    return encode_cursor(list(row)), total


def explain(params: dict, cursor: str | None, last: bool) -> None:
    """MariaDB's plan for the browser's first step (the page's ids by keyset), as the view runs it."""
    from django.db import connection
    from django.http import QueryDict

    from apps.core.pagination import _after, decode_cursor
    from apps.plots.browsing import read_state

    state = read_state(QueryDict(urlencode(params)), None)
    order = state.order
    qs = state.filterset.qs.values(*dict.fromkeys(["id", *(o.lstrip("-") for o in order)]))
    if cursor:
        qs = qs.filter(_after(order, decode_cursor(cursor, len(order))))
    if last:
        order = tuple(f[1:] if f.startswith("-") else "-" + f for f in order)
    sql, args = qs.order_by(*order)[:61].query.sql_with_params()
    with connection.cursor() as c:
        c.execute("EXPLAIN " + sql, args)
        for row in c.fetchall():
            print("      ", row[2], "key=", row[5], "rows=", row[8], row[9])


def optional_pages(plot_type) -> list[tuple[str, str]]:
    """Trends (apps.operations) and the shift brief (apps.briefs), for the apps that have these routes."""
    from django.urls import NoReverseMatch, reverse

    from apps.plots.models import PlotGroup

    group = PlotGroup.objects.filter(experiment=plot_type.experiment).order_by("id").first()
    wanted = [
        ("trends index", "trends", [], {"experiment": EXPERIMENT}),
        ("trends page, one plot type", "trend-plot-type", [plot_type.pk], {}),
        ("trend series API, one plot type", "api:trend-plot-type", [plot_type.pk], {}),
        ("trend series API, one plot group", "api:trend-group", [group.pk] if group else None, {}),
        ("shift briefs list", "brief-list", [], {"experiment": EXPERIMENT}),
    ]
    pages = []
    for name, route, route_args, query in wanted:
        if route_args is None or any(name == p[0] for p in pages):
            continue
        try:
            url = reverse(route, args=route_args)
        except NoReverseMatch:
            continue
        pages.append((name, url + ("?" + urlencode(query) if query else "")))
    return pages


def main():
    args = parse_args()
    create_database(args.url)
    setup_django(args.url)
    from django.core.management import call_command
    from django.test import Client

    print(f"database: {args.url}")
    call_command("migrate", verbosity=0)
    from apps.experiments.models import Experiment
    from apps.labels.models import LabelClass
    from apps.plots import counters as plot_counts
    from apps.plots.models import Plot, PlotType

    exp = Experiment.objects.filter(slug=EXPERIMENT).first()
    existing = Plot.objects.filter(experiment=exp).count() if exp else 0
    if args.regenerate or existing != args.plots:
        generate(args.plots, args.chunk)
        exp = Experiment.objects.get(slug=EXPERIMENT)
    else:
        print(f"  reusing {existing:,} bench plots")
        if plot_counts.per_experiment([exp.pk]).get(exp.pk) != existing:
            recount()

    types = list(PlotType.objects.filter(experiment=exp).order_by("id"))
    bad = LabelClass.objects.get(experiment=exp, name="Bad")
    first_run = FIRST_RUN
    last_run = Plot.objects.filter(experiment=exp).order_by("-run_number").values_list("run_number", flat=True)[0]
    span = last_run - first_run
    cases = [
        ("plot type + experiment, sort run ↓", {"experiment": EXPERIMENT, "plot_type": types[7].pk, "sort": "-run"}),
        ("label Bad + experiment, sort run ↑", {"experiment": EXPERIMENT, "label": bad.pk, "sort": "run"}),
        (
            "run range + experiment, sort run ↓",
            {
                "experiment": EXPERIMENT,
                "run_min": first_run + span // 4,
                "run_max": first_run + 3 * span // 4,
                "sort": "-run",
            },
        ),
        (
            "detector + label unlabeled, sort run ↓",
            {"experiment": EXPERIMENT, "detector": "FCAL", "label": "unlabeled"},
        ),
    ]
    client = Client()
    results = []

    def wanted(name: str) -> bool:
        return args.only.lower() in name.lower()

    for name, params in cases:
        if not wanted(f"browser: {name}"):
            continue
        cursor, total = middle_cursor(params)
        for where, extra in (("first", {}), ("middle", {"after": cursor}), ("last", {"last": "1"})):
            url = "/plots/?" + urlencode({**params, **extra})
            ms, rows = timed(client, url, args.repeat)
            results.append((f"browser: {name}", where, total, rows, ms))
            print(f"  {results[-1][0]:<50} {where:<7} {ms:8.1f} ms", flush=True)
            if args.explain:
                explain(params, extra.get("after"), bool(extra.get("last")))
    # The API's plot list: the same FilterSet and keyset cursors, JSON out (page size 50).
    for name, params in cases:
        if not wanted(f"API list: {name}"):
            continue
        cursor, total = middle_cursor(params)
        for where, extra in (("first", {}), ("middle", {"cursor": cursor})):
            url = "/api/v1/plots/?" + urlencode({**params, **extra})
            ms, _ = timed(client, url, args.repeat)
            results.append((f"API list: {name}", where, total, None, ms))
            print(f"  {results[-1][0]:<50} {where:<7} {ms:8.1f} ms", flush=True)
    pt = types[7]
    for name, params in (
        ("labeler novel, whole plot type", {"plot_type": pt.pk}),
        ("labeler novel, run range", {"plot_type": pt.pk, "run_min": last_run - 2000, "run_max": last_run}),
        ("labeler editor, class Bad", {"plot_type": pt.pk, "mode": "editor", "label": bad.pk}),
    ):
        if not wanted(name):
            continue
        ms, rows = timed(client, "/labeler/?" + urlencode(params), args.repeat)
        results.append((name, "first", None, rows, ms))
        print(f"  {name:<50} first   {ms:8.1f} ms", flush=True)
    # The dashboard (totals from the counters), and the trends and shift brief where those apps have pages.
    for name, url in [("dashboard, all experiments", f"/?experiment={EXPERIMENT}"), *optional_pages(pt)]:
        if not wanted(name):
            continue
        ms, _ = timed(client, url, max(args.repeat // 4, 5))
        results.append((name, "-", None, None, ms))
        print(f"  {name:<50} -       {ms:8.1f} ms", flush=True)
    # The shift brief of the last eight hours, as the crew previews it before sending (needs a login).
    if wanted("shift brief, last 8 hours"):
        from datetime import timedelta

        from django.contrib.auth import get_user_model
        from django.utils import timezone

        crew = Client()
        crew.force_login(
            get_user_model().objects.get_or_create(username="bench-admin", defaults={"is_superuser": True})[0]
        )
        until = timezone.now()
        since = until - timedelta(hours=8)
        period = {"experiment": EXPERIMENT, "since": since.isoformat(), "until": until.isoformat()}
        in_period = Plot.objects.filter(experiment__slug=EXPERIMENT, ingested_at__gte=since, ingested_at__lt=until)
        in_period = in_period.count()
        ms, _ = timed(crew, "/briefs/new?" + urlencode(period), max(args.repeat // 4, 5))
        results.append(("shift brief, last 8 hours", "-", in_period, None, ms))
        print(f"  {'shift brief, last 8 hours':<50} -       {ms:8.1f} ms ({in_period:,} plots)", flush=True)
    # For information: the other pages at the same scale.
    middle = Plot.objects.filter(plot_type=pt, run_number=FIRST_RUN + span // 2).values_list("id", flat=True)[0]
    for name, url in (
        ("plot page (for information)", f"/plots/{middle}/"),
        ("plot-type page (for information)", f"/plot-types/{pt.pk}/"),
        ("groups page (for information)", f"/groups/?experiment={EXPERIMENT}"),
    ):
        if not wanted(name):
            continue
        ms, _ = timed(client, url, max(args.repeat // 4, 3))
        results.append((name, "-", None, None, ms))
        print(f"  {name:<50} -       {ms:8.1f} ms", flush=True)

    n = Plot.objects.count()
    print()
    print(f"Hydra portal pages at {n:,} plots — server time, median of {args.repeat}, target < {TARGET_MS} ms")
    print(f"{'page':<58} {'position':<8} {'matching':>10} {'rows':>5} {'median ms':>10}  ok")
    for name, where, total, rows, ms in results:
        ok = "yes" if ms < TARGET_MS else ("-" if "information" in name else "NO")
        print(
            f"{name:<58} {where:<8} {'' if total is None else f'{total:,}':>10} {'' if rows is None else rows:>5}"
            f" {ms:>10.1f}  {ok}"
        )


if __name__ == "__main__":
    main()
