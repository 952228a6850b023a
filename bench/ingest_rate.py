"""Benchmark `manage.py ingest` on a tree of realistic monitoring plots.

Renders N plots (480x360 PNG, like Hydra's) into a temporary directory in Hydra's layout
(RunPeriod-2021-08/Run080400/CDC_straw_occupancy_0003.png) across about 40 runs, ingests them
into a fresh SQLite database and media root, then ingests again (which must add nothing), and
prints the rate:

    python bench/ingest_rate.py [--plots 2000] [--keep] [--workers N]
"""

from __future__ import annotations

import argparse
import io
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

RUN_PERIOD = "RunPeriod-2021-08"
FIRST_RUN = 80400
RUNS = 40
SUMMARY = re.compile(r"ingested (\d+) new, (\d+) duplicate, (\d+) rejected in ([\d.]+) s \((\d+) plots/s\)")


def _synthetic():
    try:
        from ml.synthetic import DEMO_PLOT_TYPES, demo_plot
    except ImportError:
        return None
    return DEMO_PLOT_TYPES, demo_plot


FALLBACK_TYPES = ("CDC_occupancy", "FDC_occupancy", "FCAL_occupancy", "BCAL_timing", "TOF_paddles", "RF_timing")


def _fallback_plot(name: str, run: int, chunk: int) -> bytes:
    """A 480x360 plot-like PNG: grey canvas, white frame, axes and a noisy peak drawn as a line."""
    import numpy as np
    from PIL import Image, ImageDraw

    rng = np.random.default_rng(hash((name, run, chunk)) & 0xFFFFFFFF)
    img = Image.new("RGB", (480, 360), (230, 230, 230))
    draw = ImageDraw.Draw(img)
    left, top, right, bottom = 60, 40, 450, 320
    draw.rectangle([left, top, right, bottom], fill="white", outline="black")
    draw.text((180, 12), f"{name} run {run}", fill="black")
    for x in range(left, right, 39):
        draw.line([x, bottom, x, bottom + 5], fill="black")
    bins = right - left
    centre, width = rng.uniform(0.3, 0.7) * bins, rng.uniform(15, 60)
    counts = rng.poisson(200 * np.exp(-0.5 * ((np.arange(bins) - centre) / width) ** 2) + 5)
    scale = (bottom - top - 10) / max(counts.max(), 1)
    points = [(left + i, bottom - int(c * scale)) for i, c in enumerate(counts)]
    draw.line(points, fill=(30, 60, 200), width=1)
    noise = rng.integers(0, 6, size=(360, 480, 3), dtype=np.uint8)
    pixels = np.clip(np.asarray(img, dtype=np.int16) - noise, 0, 255).astype(np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, "PNG")
    return out.getvalue()


def _render(job: tuple[str, str, int, int]) -> None:
    """Write one plot file (runs in a worker process)."""
    path, name, run, chunk = job
    synthetic = _synthetic()
    if synthetic is not None:
        types, demo_plot = synthetic
        from ml.synthetic import choose_failure

        plot_type = next(t for t in types if t.name == name)
        data, _label = demo_plot(plot_type, run, seed=chunk, failure=choose_failure(plot_type, run, seed=chunk))
    else:
        data = _fallback_plot(name, run, chunk)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_bytes(data)


def generate(target: Path, count: int) -> None:
    synthetic = _synthetic()
    names = [t.name for t in synthetic[0]] if synthetic else list(FALLBACK_TYPES)
    chunks = max(1, math.ceil(count / (RUNS * len(names))))
    jobs = []
    for chunk in range(1, chunks + 1):
        for run in range(FIRST_RUN, FIRST_RUN + RUNS):
            for name in names:
                path = target / RUN_PERIOD / f"Run{run:06d}" / f"{name}_{chunk:04d}.png"
                jobs.append((str(path), name, run, chunk))
    jobs = jobs[:count]
    with ProcessPoolExecutor(os.cpu_count() or 1) as pool:
        list(pool.map(_render, jobs, chunksize=16))
    source = "ml.synthetic.demo_plot" if synthetic else "numpy fallback"
    print(f"rendered {len(jobs)} plots ({source}, 480x360) for {len(names)} plot types over {RUNS} runs")


def manage(env: dict, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if result.returncode != 0:
        sys.stderr.write(result.stdout + result.stderr)
        raise SystemExit(f"manage.py {' '.join(args)} failed with exit status {result.returncode}")
    return result.stdout


def summary(output: str) -> re.Match:
    for line in reversed(output.splitlines()):
        match = SUMMARY.fullmatch(line.strip())
        if match:
            return match
    raise SystemExit(f"no summary line in the ingest output:\n{output}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--plots", type=int, default=2000, help="How many plots to render and ingest (default 2000).")
    parser.add_argument("--keep", action="store_true", help="Keep the temporary plots, database and media.")
    parser.add_argument("--workers", type=int, default=None, help="Thumbnail processes for ingest (default: CPUs).")
    args = parser.parse_args()
    if args.plots < 1:
        parser.error("--plots must be at least 1")

    work = Path(tempfile.mkdtemp(prefix="hydra-bench-"))
    try:
        plots, var, media = work / "plots", work / "var", work / "media"
        started = time.perf_counter()
        generate(plots, args.plots)
        print(f"  in {time.perf_counter() - started:.1f} s under {plots}")

        env = {k: v for k, v in os.environ.items() if not k.startswith("HYDRA_")}
        env.update(HYDRA_VAR_DIR=str(var), HYDRA_MEDIA_ROOT=str(media), HYDRA_LOG_LEVEL="WARNING")
        manage(env, "migrate", "--noinput", "-v", "0")

        ingest = ["ingest", str(plots), "--experiment", "Bench"]
        if args.workers is not None:
            ingest += ["--workers", str(args.workers)]
        wall = time.perf_counter()
        first = summary(manage(env, *ingest))
        wall = time.perf_counter() - wall
        print(f"first run:  {first.group(0)}  [process wall time {wall:.1f} s]")
        second = summary(manage(env, *ingest))
        print(f"second run: {second.group(0)}")

        new, rejected, seconds = int(first[1]), int(first[3]), float(first[4])
        if new != args.plots or rejected:
            raise SystemExit(f"expected {args.plots} new and 0 rejected on the first run, got {new} and {rejected}")
        if int(second[1]) != 0 or int(second[2]) != args.plots:
            raise SystemExit(f"expected 0 new and {args.plots} duplicate on the second run: {second[0]}")
        rate = new / seconds if seconds > 0 else float(first[5])
        print(f"ingest rate: {rate:.0f} plots/s ({new} plots, thumbnails and hashing included)")
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
