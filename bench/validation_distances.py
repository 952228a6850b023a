"""Campaign-validation verdicts per failure mode of the demo detector, from the statistical distances alone.

Per demo plot type: the good plots of runs 1-8 (seed 7, 480x360) are the reference; their medoid
is the template and their distances to it the calibration (``ml.compare.calibrate``). Then 6 good
runs (20-25) and 3 runs (30-32) of every failure mode that fits the plot type are compared with
the default thresholds (warn below 0.5, fail below 0.25). Prints one line per plot type and the
verdict counts per failure mode. ``--only chi2,ks,mad,profile`` limits the distances (the four
the portal used before ink and regions).

    python bench/validation_distances.py [--seed 7] [--only chi2,ks,mad,profile]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ml import compare  # noqa: E402
from ml.synthetic import DEMO_PLOT_TYPES, demo_plot  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--only", default="", help="comma-separated distances to use (default: all)")
    args = parser.parse_args()
    if args.only:
        compare.METRICS = tuple(args.only.split(","))

    def prepared(pt, run, failure=None):
        return compare.prepare(compare.load_image(demo_plot(pt, run, args.seed, failure)[0]))

    totals: dict[str, list[str]] = {}
    for pt in DEMO_PLOT_TYPES:
        refs = [prepared(pt, run) for run in range(1, 9)]
        template = refs[compare.medoid(refs)]
        calibration = compare.calibrate([compare.distances(p, template) for p in refs if p is not template])

        def verdict(image, template=template, calibration=calibration):
            if compare.non_comparable_reason(image, template):
                return "non_comparable"
            return compare.verdict(compare.similarity(compare.distances(image, template), calibration), 0.5, 0.25)

        modes = list(pt.failures)
        if pt.kind in ("occupancy2d", "polar_straw") and "missing_plane" not in modes:
            modes.append("missing_plane")
        line = [f"{pt.name:22s}", "good:" + "".join(verdict(prepared(pt, r))[0] for r in range(20, 26))]
        totals.setdefault("good", []).extend(verdict(prepared(pt, r)) for r in range(20, 26))
        for mode in modes:
            verdicts = [verdict(prepared(pt, r, mode)) for r in (30, 31, 32)]
            totals.setdefault(mode, []).extend(verdicts)
            line.append(f"{mode}:" + "".join(v[0] for v in verdicts))
        print(" ".join(line))
    print(f"distances: {', '.join(compare.METRICS)}")
    for mode, verdicts in totals.items():
        counts = " ".join(f"{v} {verdicts.count(v):2d}" for v in ("pass", "warn", "fail", "non_comparable"))
        print(f"{mode:16s} {counts}")


if __name__ == "__main__":
    main()
