"""Screenshots of the validation pages (docs/screenshots/validation-*.png) from a demo portal.

Seeds a throw-away portal (temporary SQLite and media) with the demo data, a calibration pass
"calib-pass2" carrying failures the demo does not have (a hot FDC wire, a drifting SC gain, a
missing TOF plot, an empty RF plot), simulated failures, maps, an autoencoder and a Siamese model;
validates calib-pass2 against the automatically chosen reference, serves the portal with uvicorn
and photographs each page in Debian's Chromium at 1280x800. Prints the report's ranking.

    python bench/validation_screenshots.py [--runs 30] [--keep]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _portal import CHROMIUM, CHROMIUM_ARGS, ROOT, embedded_env, served  # noqa: E402  (bench/ is on sys.path)

SHOTS = ROOT / "docs" / "screenshots"


def build(runs: int) -> dict:
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("seed_demo", runs=runs, workers=2, verbosity=0)

    from apps.experiments.choices import CampaignKind
    from apps.experiments.models import Campaign, Experiment
    from apps.plots.ingest import Ingestor, Source
    from apps.plots.layout import PlotRef
    from apps.plots.models import Plot, PlotType
    from apps.validation import anomalies, mapping, reports, similarity
    from apps.validation.simulation import simulate
    from ml.synthetic import DEMO_PLOT_TYPES, apply_failure, make_histogram, render_png
    from ml.synthetic.histograms import seeded_rng

    exp = Experiment.objects.get(name="GlueX")
    Campaign.objects.create(
        experiment=exp, name="calib-pass2", kind=CampaignKind.CALIBRATION, description="Second calibration pass."
    )
    # Failures the demo data does not have, in a campaign of their own.
    new_failures = {
        "FDC_plane_occupancy": ("hot_channels", {"channels": [11 * 96 + 40, 11 * 96 + 41], "factor": 30.0}),
        "SC_paddle_occupancy": ("gain_drift", {"channels": list(range(15)), "factor": 0.45}),
        "RF_TOF_selftiming": ("empty", {}),
    }
    sources = []
    first = Plot.objects.filter(experiment=exp).order_by("run_number").values_list("run_number", flat=True).first()
    for demo in DEMO_PLOT_TYPES:
        if demo.name == "TOF_paddle_occupancy":
            continue  # missing from the new pass: non-comparable
        for run in range(first, first + 6):
            rng = seeded_rng(99, demo.name, run)
            hist = make_histogram(
                demo.kind, int(rng.integers(2**62)), entries=demo.entries, title=demo.title, **dict(demo.options)
            )
            if demo.name in new_failures and run >= first + 3:
                mode, params = new_failures[demo.name]
                hist = apply_failure(hist, mode, run, **params)
            ref = PlotRef(plot_type=demo.name, run=run, run_period="RunPeriod-2021-08", chunk=0, campaign="calib-pass2")
            sources.append(Source(name=f"calib/{demo.name}/{run}", ref=ref, data=render_png(hist, run=run)))
    with Ingestor(exp, campaign="calib-pass2", workers=1) as ingestor:
        ingestor.ingest(sources)

    fcal = PlotType.objects.get(experiment=exp, name="FCAL_occupancy")
    tof = PlotType.objects.get(experiment=exp, name="TOF_paddle_occupancy")
    simulate(tof, ["dead_channels", "hot_channels", "gain_drift"], 6)
    simulate(fcal, ["dead_region", "hot_channels"], 6)
    mapping.compute(fcal, "autoencoder", autoencoder_epochs=25)
    for pt in PlotType.objects.filter(experiment=exp).exclude(pk=fcal.pk):
        mapping.compute(pt, "pixels")
    anomalies.train(tof, epochs=20)
    similarity.train(tof, epochs=8, n_pairs=1500)
    similarity.train(fcal, epochs=8, n_pairs=1500)
    report = reports.compute(reports.get_or_create_report(Campaign.objects.get(experiment=exp, name="calib-pass2")))
    online = reports.compute(reports.get_or_create_report(Campaign.objects.get(experiment=exp, name="online")))
    for r in report.results.order_by("rank").select_related("plot_type"):
        print(
            f"  #{r.rank} {r.plot_type.name:<22} {r.verdict:<15} score {r.score} siamese {r.siamese_score} {r.reason}"
        )
    worst = report.results.order_by("rank").first()
    return {
        "report": report.pk,
        "online_report": online.pk,
        "fcal": fcal.pk,
        "tof": tof.pk,
        "worst": worst.worst_plot_id,
        "worst_reference": worst.reference_plot_id,
        "fcal_bad": Plot.objects.filter(plot_type=fcal, simulated_failure="dead_region").first().pk,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--build-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.build_only:
        import json

        print("IDS " + json.dumps(build(args.runs)))
        return
    import json

    folder = Path(tempfile.mkdtemp(prefix="hydra-validation-"))
    env = embedded_env(folder)
    started = time.perf_counter()
    out = subprocess.run(
        [sys.executable, __file__, "--runs", str(args.runs), "--build-only"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if out.returncode:
        sys.exit(out.stdout[-3000:] + out.stderr[-5000:])
    print("\n".join(line for line in out.stdout.splitlines() if line.startswith("  #")))
    ids = json.loads(next(line for line in out.stdout.splitlines() if line.startswith("IDS "))[4:])
    print(f"demo portal built in {time.perf_counter() - started:.0f} s")
    try:
        with served(env) as base:
            from playwright.sync_api import sync_playwright

            SHOTS.mkdir(parents=True, exist_ok=True)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                page = browser.new_page(viewport={"width": 1280, "height": 800}, base_url=base)
                errors = []
                page.on("pageerror", lambda exc: errors.append(str(exc)))
                page.goto("/accounts/login/")
                page.fill("input[name=username]", "demo")
                page.fill("input[name=password]", "demo-password")
                page.click("button[type=submit]")
                page.wait_for_load_state("networkidle")

                def shot(name: str, url: str, ready: str | None = None, full: bool = False):
                    page.goto(url)
                    if ready:
                        page.wait_for_selector(ready, timeout=60_000)
                    page.wait_for_load_state("networkidle")
                    page.screenshot(path=str(SHOTS / f"validation-{name}.png"), full_page=full)
                    print(f"  docs/screenshots/validation-{name}.png")

                shot("overview", "/validation/?experiment=gluex")
                shot("report", f"/validation/reports/{ids['report']}/")
                shot("report-online", f"/validation/reports/{ids['online_report']}/")
                shot(
                    "explore",
                    f"/validation/explore/?plot_type={ids['fcal']}&colour=label",
                    "canvas#map[data-ready='1']",
                )
                box = page.locator("#map-wrap").bounding_box()
                page.mouse.move(box["x"] + box["width"] * 0.04, box["y"] + box["height"] * 0.45)
                page.mouse.down()
                page.mouse.move(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.97, steps=4)
                page.mouse.up()
                page.wait_for_function(
                    "Array.from(document.querySelectorAll('#sel-thumbs img'))"
                    ".every(i => i.complete && i.naturalWidth > 0)"
                )
                page.screenshot(path=str(SHOTS / "validation-explore-selection.png"))
                shot(
                    "explore-clusters",
                    f"/validation/explore/?plot_type={ids['tof']}&colour=cluster",
                    "canvas#map[data-ready='1']",
                )
                shot("different", f"/validation/different/?plot_type={ids['fcal']}")
                shot("compare", f"/validation/compare/{ids['worst']}/?reference={ids['worst_reference']}", full=True)
                shot("compare-autoencoder", f"/validation/compare/{ids['fcal_bad']}/", full=True)
                shot("simulate", f"/validation/simulate/?plot_type={ids['tof']}")
                if errors:
                    print("JavaScript errors:", errors)
                browser.close()
    finally:
        if args.keep:
            print(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
