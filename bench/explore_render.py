"""Benchmark the explore page at 100,000 points in headless Chromium: payload size, server time, render time.

Builds a throw-away portal (SQLite and media in a temporary folder) holding one plot type with
N plots and a map of N points (clustered random positions, labels, two campaigns, three run
periods), serves it with uvicorn, and opens /validation/explore/ in Debian's Chromium through
Playwright. Prints the payload size, the server's time to build it, the page's own timings
(fetch, parse, first render), a recolour, a box selection and hover look-ups, and saves a
screenshot to docs/screenshots/validation-explore-100k.png.

    python bench/explore_render.py [--points 100000] [--keep]
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
    from apps.plots import imaging
    from apps.plots.models import Plot, PlotType
    from apps.validation.models import EmbeddingSpace, PlotEmbedding
    from ml.embeddings import to_blob
    from ml.synthetic import DEMO_PLOT_TYPES, demo_plot

    exp = Experiment.objects.create(name="GlueX")
    ensure_default_classes(exp)
    pt = PlotType.objects.create(experiment=exp, name="FCAL_occupancy")
    periods = [RunPeriod.objects.create(experiment=exp, name=f"RunPeriod-2021-{m:02d}") for m in (2, 8, 11)]
    campaigns = [Campaign.objects.create(experiment=exp, name=n) for n in ("online", "recon-ver01")]
    limits = imaging.Limits(max_bytes=10**7, max_pixels=10**8, thumbnail_width=320)
    stored = imaging.store(demo_plot(DEMO_PLOT_TYPES[2], 1, 7)[0], limits, str(settings.MEDIA_ROOT))
    runs_per_campaign = points // len(campaigns)
    Run.objects.bulk_create(
        [
            Run(experiment=exp, run_period=periods[i * 3 // runs_per_campaign], number=10000 + i)
            for i in range(runs_per_campaign)
        ],
        batch_size=5000,
    )
    runs = list(Run.objects.filter(experiment=exp).order_by("number"))
    classes = list(LabelClass.objects.filter(experiment=exp).order_by("order"))
    rng = np.random.default_rng(0)
    label_of = rng.choice(len(classes) + 1, size=points, p=[0.3, 0.55, 0.1, 0.05])
    plots = []
    for i in range(points):
        run = runs[i % len(runs)]
        cls = classes[label_of[i] - 1] if label_of[i] else None
        plots.append(
            Plot.from_stored(stored, plot_type=pt, run=run, campaign=campaigns[i // len(runs)], label_class=cls)
        )
    Plot.objects.bulk_create(plots, batch_size=5000)
    ids = list(Plot.objects.filter(plot_type=pt).order_by("id").values_list("id", flat=True))
    space = EmbeddingSpace.objects.create(plot_type=pt, method="pixels", dim=32, engine="opentsne", n_points=points)
    centres = rng.normal(0, 30, (12, 2))
    which = rng.choice(12, size=points)
    xy = centres[which] + rng.normal(0, 4, (points, 2))
    vector = to_blob(np.zeros(32, dtype=np.float32))
    PlotEmbedding.objects.bulk_create(
        [
            PlotEmbedding(
                space=space,
                plot_id=pk,
                vector=vector,
                x=float(xy[i, 0]),
                y=float(xy[i, 1]),
                cluster=int(which[i]),
                outlier_score=float(rng.random()),
            )
            for i, pk in enumerate(ids)
        ],
        batch_size=5000,
    )
    return pt.pk


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--points", type=int, default=100_000)
    parser.add_argument("--keep", action="store_true", help="Keep the temporary portal folder.")
    parser.add_argument("--build-only", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.build_only:
        print(build(args.points))
        return

    folder = Path(tempfile.mkdtemp(prefix="hydra-explore-"))
    env = embedded_env(folder)
    started = time.perf_counter()
    out = subprocess.run(
        [sys.executable, __file__, "--points", str(args.points), "--build-only", "1"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    plot_type = int(out.stdout.strip().splitlines()[-1])
    print(f"built a portal with {args.points:,} plots and map points in {time.perf_counter() - started:.0f} s")
    try:
        with served(env) as base:
            space_url = f"{base}/validation/explore/?plot_type={plot_type}"
            with urllib.request.urlopen(space_url) as page:
                html = page.read().decode()
            points_path = html.split('data-points="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
            timings = []
            for _ in range(3):
                t0 = time.perf_counter()
                with urllib.request.urlopen(base + points_path) as response:
                    payload = response.read()
                timings.append(time.perf_counter() - t0)
            size = len(payload)
            print(
                f"payload: {size / 1e6:.2f} MB for {args.points:,} points ({size / args.points:.1f} B/point), "
                f"built and sent by the server in {1000 * min(timings):.0f} ms (best of 3)"
            )
            from playwright.sync_api import sync_playwright

            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                page = browser.new_page(viewport={"width": 1280, "height": 800})
                t0 = time.perf_counter()
                page.goto(space_url)
                page.wait_for_selector("canvas#map[data-ready='1']", timeout=120_000)
                wall = time.perf_counter() - t0
                t = page.evaluate("window.HydraExplore.timings")
                print(
                    f"page: ready {1000 * wall:.0f} ms after navigation; fetch {t['fetch']:.0f} ms, "
                    f"parse {t['parse']:.1f} ms, project+index {t['project']:.0f} ms, draw {t['render']:.0f} ms, "
                    f"first render {t['firstRender']:.0f} ms"
                )
                recolour = []
                for colour in ("cluster", "campaign", "run_period", "label"):
                    page.select_option("#colour", colour)
                    recolour.append(page.evaluate("window.HydraExplore.timings.render"))
                print(f"recolour (redraw all points): {min(recolour):.0f}-{max(recolour):.0f} ms")
                box = page.locator("#map-wrap").bounding_box()
                t0 = time.perf_counter()
                page.mouse.move(box["x"] + 300, box["y"] + 200)
                page.mouse.down()
                page.mouse.move(box["x"] + 600, box["y"] + 450, steps=5)
                page.mouse.up()
                page.wait_for_function("document.getElementById('sel-text').textContent.includes('selected')")
                took = 1000 * (time.perf_counter() - t0)
                print(f"box selection: {took:.0f} ms including 5 drag frames; {page.inner_text('#sel-text')}")
                hover = page.evaluate(
                    """() => { const e = window.HydraExplore, s = e.state, t0 = performance.now();
                    for (let i = 0; i < 2000; i++) e.nearest((i * 37) % s.width, (i * 53) % s.height);
                    return (performance.now() - t0) / 2000; }"""
                )
                moves = []
                for i in range(20):
                    t0 = time.perf_counter()
                    page.mouse.move(box["x"] + 200 + 20 * i, box["y"] + 300 + 7 * i)
                    moves.append(time.perf_counter() - t0)
                median = 1000 * sorted(moves)[len(moves) // 2]
                print(
                    f"hover: nearest-point look-up {1000 * hover:.1f} µs; {median:.1f} ms per mouse move "
                    "(median of 20, including the Playwright round trip)"
                )
                page.mouse.move(box["x"] + 5, box["y"] + 5)
                shots = ROOT / "docs" / "screenshots"
                shots.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(shots / "validation-explore-100k.png"))
                browser.close()
    finally:
        if args.keep:
            print(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
