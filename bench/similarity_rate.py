"""Benchmark similarity scoring: pairs per second for the statistical distances and for the Siamese model.

Uses 480x360 ROOT-style plots of the demo detector (ml.synthetic). Three rates:

- statistical, prepared: distances between an already prepared template and prepared plots,
- statistical, from PNG: decode + prepare each plot, then compare (what a report pays per plot),
- Siamese: similarity of (plot, reference) pairs at the model's 48x64 input, images already loaded.

    python bench/similarity_rate.py [--plots 200] [--siamese-pairs 5000]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--plots", type=int, default=200)
    parser.add_argument("--siamese-pairs", type=int, default=5000)
    args = parser.parse_args()

    import numpy as np

    from ml import compare
    from ml.synthetic import DEMO_PLOT_TYPES, choose_failure, demo_plot

    types = DEMO_PLOT_TYPES
    pngs = [
        demo_plot(types[i % len(types)], 1000 + i, 7, choose_failure(types[i % len(types)], 1000 + i, 7))[0]
        for i in range(args.plots)
    ]
    templates = {i: compare.prepare(compare.load_image(demo_plot(t, 1, 7)[0])) for i, t in enumerate(types)}

    started = time.perf_counter()
    prepared = [compare.prepare(compare.load_image(p)) for p in pngs]
    prepare_seconds = time.perf_counter() - started

    rounds = 5
    started = time.perf_counter()
    for _ in range(rounds):
        for i, image in enumerate(prepared):
            compare.distances(image, templates[i % len(types)])
    distance_seconds = (time.perf_counter() - started) / rounds
    print(f"statistical distances, prepared images: {args.plots / distance_seconds:,.0f} pairs/s (1 thread)")
    print(
        f"statistical, from PNG (decode + prepare + compare): "
        f"{args.plots / (prepare_seconds + distance_seconds):,.0f} pairs/s (1 thread); "
        f"prepare alone {1000 * prepare_seconds / args.plots:.1f} ms per 480x360 plot"
    )

    from ml import siamese
    from ml.embeddings import load_images

    images = load_images(pngs, (48, 64))
    model = siamese.build((48, 64, 1))
    n = args.siamese_pairs
    left = images[np.arange(n) % len(images)]
    right = images[(np.arange(n) * 7 + 3) % len(images)]
    siamese.similarity(model, left[:256], right[:256])  # warm up: graph tracing
    started = time.perf_counter()
    siamese.similarity(model, left, right, batch_size=256)
    seconds = time.perf_counter() - started
    print(f"Siamese similarity (48x64, batch 256, CPU): {n / seconds:,.0f} pairs/s on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
