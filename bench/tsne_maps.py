"""Benchmark the embedding map: t-SNE of 10,000 and 100,000 embeddings, time and peak memory.

Embeddings are random 64-dim vectors with cluster structure (12 Gaussian clusters of different
sizes and spreads, plus 1 % scattered outliers). Each case runs in its own process so its peak
memory (ru_maxrss) is its own. Prints one line per case and how well the map kept the clusters
apart (k-NN label agreement in the map: the share of each point's 10 map neighbours from its cluster).

    python bench/tsne_maps.py                       # 10k with every engine, 100k with opentsne and subsample
    python bench/tsne_maps.py --sizes 10000 --engines sklearn
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def embeddings(n: int, dim: int = 64, clusters: int = 12, seed: int = 0):
    import numpy as np

    rng = np.random.default_rng(seed)
    weights = rng.dirichlet(np.ones(clusters) * 2)
    labels = rng.choice(clusters, size=n, p=weights)
    centres = rng.normal(0, 6, (clusters, dim))
    spread = rng.uniform(0.5, 1.5, clusters)
    X = centres[labels] + rng.normal(0, 1, (n, dim)) * spread[labels, None]
    outliers = rng.random(n) < 0.01
    X[outliers] = rng.normal(0, 12, (int(outliers.sum()), dim))
    labels[outliers] = -1
    return X.astype("float32"), labels


def run_case(n: int, engine: str) -> dict:
    import resource

    import numpy as np
    from sklearn.neighbors import NearestNeighbors

    from ml import maps

    X, labels = embeddings(n)
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    result = maps.tsne_map(X, engine=engine, seed=0)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    probe = np.random.default_rng(1).choice(n, min(n, 5000), replace=False)
    _, idx = NearestNeighbors(n_neighbors=11).fit(result.coords).kneighbors(result.coords[probe])
    clustered = labels[probe] >= 0
    agree = (labels[idx[:, 1:]] == labels[probe][:, None]).mean(axis=1)[clustered].mean()
    place_started = time.perf_counter()
    maps.place(X[:1000] + 0.01, X, result.coords)
    return {
        "n": n,
        "engine": result.engine,
        "seconds": round(seconds, 1),
        "peak_rss_mb": round(peak / 1024, 0),
        "rss_before_mb": round(base / 1024, 0),
        "knn_agreement": round(float(agree), 3),
        "place_1000_seconds": round(time.perf_counter() - place_started, 2),
        "cpus": os.cpu_count(),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--engines", default="sklearn,opentsne,subsample")
    parser.add_argument("--case", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:
        n, engine = args.case.split(":")
        print(json.dumps(run_case(int(n), engine)))
        return
    for n in (int(s) for s in args.sizes.split(",")):
        for engine in args.engines.split(","):
            if n > 20_000 and engine == "sklearn":
                print(f"n={n:>7,} sklearn: skipped (Barnes-Hut t-SNE of 100k points takes tens of minutes on 2 cores)")
                continue
            out = subprocess.run(
                [sys.executable, __file__, "--case", f"{n}:{engine}"], capture_output=True, text=True, cwd=ROOT
            )
            if out.returncode:
                print(f"n={n:>7,} {engine}: failed\n{out.stderr[-2000:]}")
                continue
            r = json.loads(out.stdout.strip().splitlines()[-1])
            print(
                f"n={r['n']:>7,} {r['engine']:<9} {r['seconds']:>7.1f} s  peak RSS {r['peak_rss_mb']:>6.0f} MB  "
                f"map k-NN agreement {r['knn_agreement']:.3f}  placing 1,000 new points {r['place_1000_seconds']} s  "
                f"({r['cpus']} CPUs)",
                flush=True,
            )


if __name__ == "__main__":
    main()
