"""A campaign report through the portal: gross failures in two plot types, a subtle one in a third.

Builds a throw-away embedded portal (SQLite in a temporary folder), stores a reference campaign of
good demo plots (runs 1-12) and a new campaign of 25 runs (101-125) of all seven demo plot types
in which, in every run, TOF paddles miss a region (one plane of paddles dark), FDC misses a plane,
and the BCAL timing peak is broadened; the other four plot types are good. Then computes the
report as the worker does (``reports.compute``) and prints each plot type's verdict, the counts of
its runs' verdicts, and whether the report fails the three broken types and passes the others.

    python bench/validation_campaign.py [--seed 23] [--runs 25]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BROKEN = {
    "TOF_paddle_occupancy": "dead_region",
    "FDC_plane_occupancy": "missing_plane",
    "BCAL_timing": "peak_broadening",
}
GROSS = ("TOF_paddle_occupancy", "FDC_plane_occupancy")


def setup(folder: str) -> None:
    os.environ.update(HYDRA_VAR_DIR=folder, HYDRA_MEDIA_ROOT=f"{folder}/media", HYDRA_DEBUG="true")
    for name in ("HYDRA_DATABASE_URL", "HYDRA_REDIS_URL", "HYDRA_BROKER_URL"):
        os.environ.pop(name, None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hydra_portal.settings")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def store(plot_type, png: bytes, run, campaign):
    from django.conf import settings

    from apps.plots import imaging
    from apps.plots.models import Plot

    limits = imaging.Limits(max_bytes=10**8, max_pixels=10**8, thumbnail_width=64)
    stored = imaging.store(png, limits, str(settings.MEDIA_ROOT))
    plot = Plot.from_stored(stored, plot_type=plot_type, run=run, campaign=campaign)
    plot.save()
    return plot


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=23, help="demo renderer seed (default 23)")
    parser.add_argument("--runs", type=int, default=25, help="runs of the campaign under test (default 25)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        setup(folder)
        from apps.experiments.choices import CampaignKind
        from apps.experiments.models import Campaign, Experiment, Run, RunPeriod
        from apps.plots.models import PlotType
        from apps.validation import reports
        from ml.synthetic import DEMO_PLOT_TYPES, demo_plot

        exp = Experiment.objects.create(name="GlueX", slug="gluex")
        period = RunPeriod.objects.create(experiment=exp, name="RunPeriod-2025-01")
        reference = Campaign.objects.create(experiment=exp, name="recon-ver01", kind=CampaignKind.OFFLINE)
        reference.is_reference = True
        reference.save()
        new = Campaign.objects.create(experiment=exp, name="recon-ver02", kind=CampaignKind.OFFLINE)
        started = time.perf_counter()
        for spec in DEMO_PLOT_TYPES:
            pt = PlotType.objects.create(experiment=exp, name=spec.name, detector=spec.name.split("_")[0])
            for number in range(1, 13):
                run = Run.objects.get_or_create(experiment=exp, number=number, defaults={"run_period": period})[0]
                store(pt, demo_plot(spec, number, args.seed)[0], run, reference)
            for number in range(101, 101 + args.runs):
                run = Run.objects.get_or_create(experiment=exp, number=number, defaults={"run_period": period})[0]
                store(pt, demo_plot(spec, number, args.seed, BROKEN.get(spec.name))[0], run, new)
        stored = time.perf_counter() - started
        started = time.perf_counter()
        report = reports.compute(reports.get_or_create_report(new, reference))
        computed = time.perf_counter() - started
        results = {r.plot_type.name: r for r in report.results.select_related("plot_type")}
        print(
            f"seed {args.seed}: {args.runs} runs under test, 12 reference runs; stored in {stored:.1f} s, "
            f"report computed in {computed:.1f} s"
        )
        print(f"{'plot type':24s} {'broken':16s} {'verdict':15s} {'score':>6s}  runs per verdict")
        wrong = []
        for spec in DEMO_PLOT_TYPES:
            row = results[spec.name]
            broken = BROKEN.get(spec.name, "")
            expected = "fail" if broken else "pass"
            if row.verdict != expected:
                wrong.append(f"{spec.name} {row.verdict} (expected {expected})")
            counts = ", ".join(f"{k} {v}" for k, v in sorted(row.counts.items()))
            score = "" if row.score is None else f"{row.score:.2f}"
            print(f"{spec.name:24s} {broken:16s} {row.verdict:15s} {score:>6s}  {counts}")
        print(f"report verdict: {report.summary.get('verdict')}; counts {report.summary.get('counts')}")
        print("target (the three broken types fail, the four others pass):", "met" if not wrong else "NOT met")
        for line in wrong:
            print("  ", line)


if __name__ == "__main__":
    main()
