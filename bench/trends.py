"""Benchmark the trends page at 100,000 points: server time, payload size, and "ready" in headless Chromium.

Builds a throw-away portal (SQLite and media in a temporary folder, or the database named by
``--database-url``) holding one plot type with N plots over N/2 runs in two campaigns, each with a
verdict (Bad scores mostly low, a few bursts high), two models with their thresholds, an
activation between them and 5 % of the plots labeled. Serves it with uvicorn, fetches the series
from the API (best of 3: server time and bytes), then opens /trends/type/<id>/ in Debian's
Chromium through Playwright and waits until the canvas is drawn (``data-state="ready"``). Prints
the figures and saves docs/screenshots/trends-100k.png.

    python bench/trends.py [--points 100000] [--keep]
    python bench/trends.py --database-url mysql://root@127.0.0.1:3306/hydra_bench_trends [--reuse]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from _portal import CHROMIUM, CHROMIUM_ARGS, ROOT, embedded_env, served  # noqa: E402  (bench/ is on sys.path)

TARGET_SECONDS = 1.5


def build(points: int) -> int:
    """Fill the database named by the environment; return the plot type id."""
    import django

    django.setup()
    import numpy as np
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from django.conf import settings

    from apps.experiments.models import Campaign, Experiment, Run, RunPeriod
    from apps.labels.defaults import ensure_default_classes
    from apps.labels.models import LabelClass
    from apps.monitoring.models import Activation, Classification, ClassifierModel
    from apps.plots import imaging
    from apps.plots.models import Plot, PlotType
    from ml.synthetic import DEMO_PLOT_TYPES, demo_plot

    exp = Experiment.objects.create(name="GlueX")
    ensure_default_classes(exp)
    classes = {c.name: c for c in LabelClass.objects.filter(experiment=exp)}
    pt = PlotType.objects.create(experiment=exp, name="CDC_occupancy")
    period = RunPeriod.objects.create(experiment=exp, name="RunPeriod-2021-08")
    campaigns = [Campaign.objects.create(experiment=exp, name=n) for n in ("online", "recon-ver01")]
    limits = imaging.Limits(max_bytes=10**7, max_pixels=10**8, thumbnail_width=320)
    stored = imaging.store(demo_plot(DEMO_PLOT_TYPES[0], 1, 7)[0], limits, str(settings.MEDIA_ROOT))
    n_runs = points // len(campaigns)
    rng = np.random.default_rng(0)
    Run.objects.bulk_create(
        [
            Run(experiment=exp, run_period=period, number=30000 + i, conditions={"beam_current": float(current)})
            for i, current in enumerate(rng.uniform(0, 350, size=n_runs))
        ],
        batch_size=5000,
    )
    runs = list(Run.objects.filter(experiment=exp).order_by("number"))
    labels = [classes["Good"], classes["Bad"]]
    plots = []
    for camp in campaigns:
        for run in runs:
            label = labels[int(rng.random() < 0.3)] if rng.random() < 0.05 else None
            plots.append(Plot.from_stored(stored, plot_type=pt, run=run, campaign=camp, label_class=label))
    Plot.objects.bulk_create(plots, batch_size=5000)
    models = [
        ClassifierModel.objects.create(
            plot_type=pt,
            version=v,
            status="ready",
            label_map=["Bad", "Good"],
            thresholds={"Bad": {"value": t, "set_by": "max-f1"}, "Good": {"value": 0.6, "set_by": "initial"}},
        )
        for v, t in ((1, 0.85), (2, 0.78))
    ]
    Activation.objects.create(plot_type=pt, model=models[0])
    rows = Plot.objects.filter(plot_type=pt).order_by("run_number", "id").values_list("id", "run_number")
    bad = np.clip(rng.beta(0.6, 8, size=points), 0, 1)
    burst = (np.arange(points) // 400) % 37 == 5
    bad[burst] = rng.uniform(0.6, 1.0, size=int(burst.sum()))
    half = points // 2
    classifications = []
    for i, (plot_id, run_number) in enumerate(rows):
        model = models[0] if i < half else models[1]
        b = round(float(bad[i]), 5)
        verdict = classes["Bad"] if b >= 0.5 else classes["Good"]
        confidence = b if b >= 0.5 else 1 - b
        threshold = 0.85 if i < half else 0.78
        classifications.append(
            Classification(
                plot_id=plot_id,
                model=model,
                plot_type=pt,
                run_number=run_number,
                verdict_class=verdict,
                confidence=confidence,
                scores={"Bad": b, "Good": round(1 - b, 5)},
                confirmed=confidence >= (threshold if b >= 0.5 else 0.6),
            )
        )
    Classification.objects.bulk_create(classifications, batch_size=5000)
    Activation.objects.create(plot_type=pt, model=models[1], previous=models[0])
    # The second model classified the second half after its activation.
    Classification.objects.filter(model=models[1]).update(created_at=Activation.objects.get(model=models[1]).created_at)
    return pt.pk


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--points", type=int, default=100_000)
    parser.add_argument("--database-url", help="A MySQL/MariaDB database to fill instead of SQLite (dropped first).")
    parser.add_argument(
        "--reuse", action="store_true", help="With --database-url: measure the portal a previous run built there."
    )
    parser.add_argument("--keep", action="store_true", help="Keep the temporary portal folder.")
    parser.add_argument("--build-only", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.build_only == "reuse":
        import django

        django.setup()
        from apps.plots.models import PlotType

        print(PlotType.objects.get(name="CDC_occupancy").pk)
        return
    if args.build_only:
        print(build(args.points))
        return

    folder = Path(tempfile.mkdtemp(prefix="hydra-trends-"))
    env = embedded_env(folder)
    reuse = bool(args.reuse and args.database_url)
    if args.database_url:
        env["HYDRA_DATABASE_URL"] = args.database_url
        if not reuse:
            _recreate(args.database_url)
    started = time.perf_counter()
    out = subprocess.run(
        [sys.executable, __file__, "--points", str(args.points), "--build-only", "reuse" if reuse else "1"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    plot_type = int(out.stdout.strip().splitlines()[-1])
    where = "MariaDB" if args.database_url else "SQLite"
    if not reuse:
        took = time.perf_counter() - started
        print(f"built a portal ({where}) with {args.points:,} plots and verdicts in {took:.0f} s")
    try:
        with served(env) as base:
            page_url = f"{base}/trends/type/{plot_type}/"
            api_url = f"{base}/api/v1/trends/plot-types/{plot_type}/"
            timings, built = [], []
            for _ in range(3):
                t0 = time.perf_counter()
                with urllib.request.urlopen(api_url) as response:
                    payload = response.read()
                    built.append(response.headers.get("Server-Timing", ""))
                timings.append(time.perf_counter() - t0)
            size = len(payload)
            best = timings.index(min(timings))
            print(
                f"payload: {size / 1e6:.2f} MB for {args.points:,} points ({size / args.points:.1f} B/point), "
                f"built and sent by the server in {1000 * min(timings):.0f} ms (best of 3; "
                f"Server-Timing {built[best]})"
            )
            from playwright.sync_api import sync_playwright

            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                page = browser.new_page(viewport={"width": 1280, "height": 800})
                page.goto(page_url)  # a first visit warms the server's code paths and the static files
                page.wait_for_selector("#trend[data-state='ready']", timeout=120_000)
                walls, inside = [], []
                for _ in range(3):
                    t0 = time.perf_counter()
                    page.goto(page_url)
                    page.wait_for_selector("#trend[data-state='ready']", timeout=120_000)
                    walls.append(time.perf_counter() - t0)
                    inside.append(float(page.get_attribute("#trend", "data-ready-ms")))
                wall = min(walls)
                stats = page.evaluate(
                    "(() => { const t = window.HydraTrend;"
                    " return {draw: t.drawMs, fetched: t.fetched, n: t.n, drawn: t.drawn}; })()"
                )
                verdict = "meets" if wall < TARGET_SECONDS else "misses"
                print(
                    f"page: ready {1000 * wall:.0f} ms after navigation "
                    f"(best of 3; {verdict} the {TARGET_SECONDS} s target); "
                    f"fetch+parse {stats['fetched']:.0f} ms, one full draw {stats['draw']:.0f} ms; "
                    f"fetch to drawn {min(inside):.0f} ms; {stats['n']:,} points, "
                    f"{stats['drawn']:,} distinct pixels drawn"
                )
                redraws = page.evaluate(
                    "(() => { const t = window.HydraTrend, out = [];"
                    " for (let i = 0; i < 5; i++) { t.draw(); out.push(t.drawMs); } return out; })()"
                )
                hover = page.evaluate(
                    """() => { const t = window.HydraTrend, t0 = performance.now();
                    for (let i = 0; i < 2000; i++) t.nearest(60 + (i * 37) % (t.w - 80), 20 + (i * 53) % (t.ph));
                    return (performance.now() - t0) / 2000; }"""
                )
                hover_draw = page.evaluate(
                    """() => { const t = window.HydraTrend, t0 = performance.now();
                    for (let i = 0; i < 200; i++) t.setHover((i * 997) % t.n);
                    t.setHover(-1); return (performance.now() - t0) / 200; }"""
                )
                box = page.locator("#trend").bounding_box()
                moves = []
                for i in range(20):
                    t0 = time.perf_counter()
                    page.mouse.move(box["x"] + 200 + 30 * i, box["y"] + box["height"] - 80)
                    moves.append(time.perf_counter() - t0)
                median = 1000 * sorted(moves)[len(moves) // 2]
                print(
                    f"redraw: {min(redraws):.0f}-{max(redraws):.0f} ms; "
                    f"hover: nearest-point look-up {1000 * hover:.1f} µs, highlight and tooltip {hover_draw:.1f} ms, "
                    f"{median:.1f} ms per mouse move (median of 20, with the Playwright round trip)"
                )
                page.mouse.move(box["x"] + 5, box["y"] + 5)
                shots = ROOT / "docs" / "screenshots"
                shots.mkdir(parents=True, exist_ok=True)
                page.locator("main").screenshot(path=str(shots / "trends-100k.png"))
                browser.close()
    finally:
        if args.keep:
            print(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


def _recreate(url: str) -> None:
    """Drop and create the MySQL database named by ``url`` (a benchmark database only)."""
    from urllib.parse import urlsplit

    import MySQLdb

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not name.startswith("hydra_bench"):
        raise SystemExit("--database-url must name a database starting with hydra_bench (it is dropped first)")
    connection = MySQLdb.connect(
        host=parts.hostname, port=parts.port or 3306, user=parts.username or "root", passwd=parts.password or ""
    )
    cursor = connection.cursor()
    cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
    cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
    connection.close()


if __name__ == "__main__":
    main()
