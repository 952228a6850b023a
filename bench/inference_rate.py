"""Benchmark batch inference: plots per second for the compact CNN and InceptionV3, from PNG files.

Renders demo plots (480x360 PNG, like Hydra's), saves each network with its sidecar, loads it
the way workers do (``ml.inference.Classifier``: load once, warm up) and times:
decode + resize + predict in batches of 64 from files, the network alone on decoded arrays,
and GradCAM. Speed does not depend on the weights, so the networks are untrained.

    python bench/inference_rate.py [--plots 256] [--inception-plots 64] [--skip-inception]
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
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def render(folder: Path, count: int) -> list[str]:
    from ml.synthetic import DEMO_PLOT_TYPES, choose_failure, demo_plot

    paths = []
    for i in range(count):
        demo = DEMO_PLOT_TYPES[i % len(DEMO_PLOT_TYPES)]
        run = 80400 + i // len(DEMO_PLOT_TYPES)
        data, _ = demo_plot(demo, run, 7, choose_failure(demo, run, 7))
        path = folder / f"{demo.name}_{run}.png"
        path.write_bytes(data)
        paths.append(str(path))
    return paths


def bench(name: str, paths: list[str], folder: Path, batch: int) -> None:
    from ml import architectures, model_files
    from ml.inference import Classifier
    from ml.synthetic import DEMO_PLOT_TYPES
    from ml.training import HyperParameters

    shape = architectures.get(name).input_shape
    # As trained by default: the compact CNN compares with one reference per demo plot type.
    options = {"references": len(DEMO_PLOT_TYPES)} if HyperParameters(architecture=name).uses_references() else {}
    network = architectures.build_model(name, shape, 3, **options)
    path = folder / f"{name}.keras"
    model_files.save(network, path, model_files.ModelInfo(["Bad", "Good", "NoData"], list(shape), name))
    started = time.perf_counter()
    classifier = Classifier(str(path))
    load = time.perf_counter() - started
    classifier.predict(paths[:batch], batch)  # the first real batch builds the input pipeline

    started = time.perf_counter()
    scores = classifier.predict(paths, batch)
    from_files = time.perf_counter() - started
    images = classifier.load(paths, batch)
    started = time.perf_counter()
    classifier.predict_arrays(images, batch)
    network_only = time.perf_counter() - started
    sample = images[: min(len(images), batch)]
    classifier.gradcam(sample[:2])
    started = time.perf_counter()
    classifier.gradcam(sample)
    cam = time.perf_counter() - started
    assert scores.shape == (len(paths), 3)
    print(
        f"{name:13s} input {'x'.join(map(str, shape)):10s} params {network.count_params():>10,}  "
        f"load+warm-up {load:5.1f} s  files→verdicts {len(paths) / from_files:7.1f} plots/s  "
        f"network only {len(images) / network_only:7.1f} plots/s  GradCAM {len(sample) / cam:6.1f} plots/s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--plots", type=int, default=256)
    parser.add_argument("--inception-plots", type=int, default=64)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--skip-inception", action="store_true")
    args = parser.parse_args()
    import tensorflow as tf

    print(f"TensorFlow {tf.__version__}, {os.cpu_count()} CPU cores, batches of {args.batch}")
    with tempfile.TemporaryDirectory(prefix="hydra-bench-infer-") as tmp:
        folder = Path(tmp)
        paths = render(folder, args.plots)
        bench("compact", paths, folder, args.batch)
        if not args.skip_inception:
            bench("inception_v3", paths[: args.inception_plots], folder, min(args.batch, args.inception_plots))


if __name__ == "__main__":
    main()
