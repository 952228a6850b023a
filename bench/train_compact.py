"""Benchmark the default model on demo data: accuracy and Bad recall on held-out runs, training time.

Seeds the demo experiment (`manage.py seed_demo --runs 120`) into a temporary HYDRA_VAR_DIR
(SQLite, in-process worker), trains the compact CNN through the portal's own path
(`manage.py train --wait`), and reads back what the model was tested on: every plot of the
held-out runs (training weight 0, every fifth run), which no training or validation run sees.

    python bench/train_compact.py [--runs 120] [--per-type] [--epochs N] [--reuse DIR] [--keep]

By default one shared compact model learns from all seven demo plot types (more examples of
each failure mode); --per-type trains one model per plot type instead.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def manage(env, *args) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, str(ROOT / "manage.py"), *args], env=env, check=True, cwd=ROOT)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=120)
    parser.add_argument("--per-type", action="store_true", help="One model per plot type instead of one shared.")
    parser.add_argument("--epochs", type=int)
    parser.add_argument("--reuse", help="A var dir seeded by an earlier --keep run: skip seeding.")
    parser.add_argument("--keep", action="store_true", help="Keep the temporary var dir.")
    args = parser.parse_args()

    var = Path(args.reuse) if args.reuse else Path(tempfile.mkdtemp(prefix="hydra-bench-train-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("HYDRA_")}
    env.update(HYDRA_VAR_DIR=str(var), HYDRA_LOG_LEVEL="WARNING", TF_CPP_MIN_LOG_LEVEL="2")
    try:
        if not args.reuse:
            manage(env, "migrate", "--noinput", "-v0")
            seed = manage(env, "seed_demo", "--runs", str(args.runs))
            print(f"seeded {args.runs} runs in {seed:.0f} s")
        from ml.synthetic import DEMO_PLOT_TYPES

        names = [a for d in DEMO_PLOT_TYPES for a in ("--plot-type", d.name)]
        extra = ["--epochs", str(args.epochs)] if args.epochs else []
        shared = [] if args.per_type else ["--shared"]
        seconds = manage(env, "train", *names, *shared, *extra, "--force", "--wait")
        report(env, seconds, args.per_type)
    finally:
        if args.keep or args.reuse:
            print(f"kept {var}")
        else:
            shutil.rmtree(var, ignore_errors=True)


def report(env, seconds: float, per_type: bool) -> None:
    code = """
import json, django
django.setup()
from apps.monitoring.models import ClassifierModel
out = []
for m in ClassifierModel.objects.filter(status="ready").order_by("-id"):
    out.append({"name": str(m), "labels": m.label_map, "matrix": m.confusion_matrix.get("matrix"),
                "metrics": {k: m.metrics.get(k) for k in ("tested_on", "accuracy", "bad_recall", "bad_precision",
                 "training_seconds", "confirmed_share")}, "curves": len(m.curves.get("loss", []))})
print(json.dumps(out))
"""
    env = {**env, "DJANGO_SETTINGS_MODULE": "hydra_portal.settings"}
    raw = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, check=True, capture_output=True, text=True)
    models = json.loads(raw.stdout.strip().splitlines()[-1])
    models = models[:7] if per_type else models[:1]
    correct = total = bad_hit = bad_true = bad_said = 0
    for m in models:
        labels, matrix = m["labels"], m["matrix"]
        b = labels.index("Bad")
        correct += sum(matrix[i][i] for i in range(len(labels)))
        total += sum(map(sum, matrix))
        bad_hit += matrix[b][b]
        bad_true += sum(matrix[b])
        bad_said += sum(row[b] for row in matrix)
        print(f"  {m['name']}: {m['metrics']} ({m['curves']} epochs)")
    print(f"held-out plots: {total}")
    print(f"accuracy: {correct / total:.4f}")
    print(f"Bad recall: {bad_hit / bad_true:.4f} ({bad_hit}/{bad_true})")
    print(f"Bad precision: {bad_hit / bad_said:.4f}" if bad_said else "Bad precision: n/a")
    print(f"training time (manage.py train --wait, wall): {seconds:.0f} s")


if __name__ == "__main__":
    main()
