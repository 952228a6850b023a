"""Does the default model generalise? Train on the demo plots of one seed, test on unseen seeds.

The demo renderer draws every run of every plot type differently for each seed (statistics,
shapes of the distributions, where and how a failure strikes). This trains the default model
(``ml.training.HyperParameters()``: the shared compact CNN over all seven demo plot types, with
reference images; ``--hp '{"augment": true}'`` adds augmentation) on ``--runs`` runs of
``--train-seed``, then classifies the plots of ``--test-runs`` runs of each ``--test-seeds``
seed, none of which training saw, and prints accuracy, Bad recall and Bad precision per seed
and overall (the portal's verdicts: ``ml.evaluation.decide``), and how many plots of each failure mode were caught.

    python bench/generalisation.py [--train-seed 7] [--test-seeds 101 202 303] [--runs 120]
                                   [--test-runs 60] [--epochs N] [--hp '{"augment": true}']
                                   [--images DIR]

Labels follow the renderer: Good for a good plot, Bad for a broken one, NoData for an empty one.
``--images DIR`` keeps the rendered PNGs there and reuses them on the next run. A failure mode
counts as caught when the plot is called Bad (NoData for an empty plot).
Targets: accuracy >= 98.5 %, Bad recall >= 97 %, Bad precision >= 95 % on the unseen seeds.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

TARGETS = {"accuracy": 0.985, "bad_recall": 0.97, "bad_precision": 0.95}


def _render(job: tuple[str, int, int, str]) -> tuple[str, int, int, str | None, str, str]:
    """Render one plot (in a worker process) unless its file exists; returns its example row."""
    from ml.synthetic import DEMO_PLOT_TYPES, choose_failure, demo_plot

    name, run, seed, folder = job
    spec = next(s for s in DEMO_PLOT_TYPES if s.name == name)
    failure = choose_failure(spec, run, seed)
    path = Path(folder) / f"seed{seed}" / f"{name}-{run:05d}.png"
    png, label = None, None
    if not path.exists():
        png, label = demo_plot(spec, run, seed, failure)
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".part")
        partial.write_bytes(png)
        partial.replace(path)
    from ml.synthetic import failure_label

    return name, run, seed, failure, label or failure_label(failure), str(path)


def render(seeds_runs: list[tuple[int, range]], folder: str, processes: int) -> list[tuple]:
    from ml.synthetic import DEMO_PLOT_TYPES

    jobs = [(s.name, run, seed, folder) for seed, runs in seeds_runs for s in DEMO_PLOT_TYPES for run in runs]
    with ProcessPoolExecutor(processes) as pool:
        return list(pool.map(_render, jobs, chunksize=8))


def scores(rows: list[tuple], predicted: list[str]) -> dict:
    truth = [r[4] for r in rows]
    bad_true = sum(t == "Bad" for t in truth)
    bad_called = sum(p == "Bad" for p in predicted)
    bad_hit = sum(t == p == "Bad" for t, p in zip(truth, predicted, strict=True))
    return {
        "plots": len(rows),
        "accuracy": sum(t == p for t, p in zip(truth, predicted, strict=True)) / max(1, len(rows)),
        "bad_recall": bad_hit / bad_true if bad_true else None,
        "bad_precision": bad_hit / bad_called if bad_called else None,
        "bad": bad_true,
    }


def _percent(value) -> str:
    return "   —  " if value is None else f"{100 * value:5.1f}%"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--train-seed", type=int, default=7)
    parser.add_argument("--test-seeds", type=int, nargs="+", default=[101, 202, 303])
    parser.add_argument("--runs", type=int, default=120, help="training runs per plot type (default 120)")
    parser.add_argument("--test-runs", type=int, default=60, help="test runs per plot type and seed (default 60)")
    parser.add_argument("--epochs", type=int, default=None, help="override the default epochs")
    parser.add_argument("--hp", default="{}", help="hyper-parameters as JSON, over the defaults")
    parser.add_argument("--images", default=None, help="keep the rendered PNGs in this folder and reuse them")
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--json", default=None, help="also write the figures to this JSON file")
    args = parser.parse_args()
    if args.train_seed in args.test_seeds:
        parser.error("the training seed must not be a test seed")

    from ml import data, evaluation
    from ml.training import HyperParameters, train

    overrides = json.loads(args.hp)
    if args.epochs:
        overrides["epochs"] = args.epochs
    hp = HyperParameters.from_dict(overrides)
    with tempfile.TemporaryDirectory() as scratch:
        folder = args.images or scratch
        started = time.perf_counter()
        train_rows = render([(args.train_seed, range(1, args.runs + 1))], folder, args.processes)
        test_rows = render([(s, range(1001, 1001 + args.test_runs)) for s in args.test_seeds], folder, args.processes)
        rendered = time.perf_counter() - started
        examples = [
            data.Example(path=path, label=label, run=run, key=path, group=name)
            for name, run, _seed, _failure, label, path in train_rows
        ]
        started = time.perf_counter()
        result = train(examples, hp)
        trained = time.perf_counter() - started
        shape = result.hyper_parameters.resolved_input_shape()
        probabilities = result.model.predict(data.load_images([r[5] for r in test_rows], shape), verbose=0)
        predicted = [result.classes[int(i)] for i in evaluation.decide(probabilities, result.classes)[0]]

    print(
        f"trained on seed {args.train_seed} ({len(train_rows)} plots, {args.runs} runs x 7 plot types) in "
        f"{trained:.0f} s, best epoch {result.best_epoch} of {len(result.history.get('loss', []))}; "
        f"rendering took {rendered:.0f} s"
    )
    print(f"hyper-parameters: {json.dumps({k: v for k, v in result.hyper_parameters.as_dict().items()})}")
    print(f"\n{'test seed':>10s} {'plots':>6s} {'Bad':>5s} {'accuracy':>9s} {'Bad recall':>11s} {'Bad precision':>14s}")
    figures = {}
    for seed in args.test_seeds:
        picked = [i for i, r in enumerate(test_rows) if r[2] == seed]
        s = scores([test_rows[i] for i in picked], [predicted[i] for i in picked])
        figures[str(seed)] = s
        print(
            f"{seed:>10d} {s['plots']:>6d} {s['bad']:>5d} {_percent(s['accuracy']):>9s} "
            f"{_percent(s['bad_recall']):>11s} {_percent(s['bad_precision']):>14s}"
        )
    total = scores(test_rows, predicted)
    figures["all"] = total
    print(
        f"{'all':>10s} {total['plots']:>6d} {total['bad']:>5d} {_percent(total['accuracy']):>9s} "
        f"{_percent(total['bad_recall']):>11s} {_percent(total['bad_precision']):>14s}"
    )

    print(f"\n{'plot type':24s} {'failure':18s} {'caught':>8s}  called instead")
    modes: dict[tuple[str, str], list[str]] = {}
    for row, p in zip(test_rows, predicted, strict=True):
        modes.setdefault((row[0], row[3] or "(good)"), []).append(p)
    per_mode = {}
    for (name, failure), calls in sorted(modes.items()):
        expected = "Good" if failure == "(good)" else ("NoData" if failure == "empty" else "Bad")
        hit = sum(c == expected for c in calls)
        other = Counter(c for c in calls if c != expected)
        per_mode[f"{name}/{failure}"] = {"plots": len(calls), "right": hit}
        print(f"{name:24s} {failure:18s} {hit:>3d}/{len(calls):<4d}  {', '.join(f'{k} {v}' for k, v in other.items())}")
    met = all((total[k] or 0) >= v for k, v in TARGETS.items())
    print(
        "\ntarget (accuracy >= 98.5 %, Bad recall >= 97 %, Bad precision >= 95 % on the unseen seeds):",
        "met" if met else "NOT met",
    )
    if args.json:
        plots = [
            {
                "type": r[0],
                "seed": r[2],
                "run": r[1],
                "failure": r[3],
                "label": r[4],
                "called": p,
                "p": dict(zip(result.classes, map(float, q), strict=True)),
            }
            for r, p, q in zip(test_rows, predicted, probabilities, strict=True)
        ]
        out = {"seeds": figures, "modes": per_mode, "seconds": trained, "plots": plots}
        Path(args.json).write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
