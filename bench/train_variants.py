"""Compare training settings on the benchmark's split, outside the job system.

Trains the shared compact CNN (or any settings given as JSON hyper-parameters) on the labeled
demo plots of a var dir seeded by ``bench/train_compact.py --keep``, then scores the held-out
runs (training weight 0) with the portal's verdicts (ml.evaluation.decide) and lists every miss with
its simulated failure.

    python bench/train_compact.py --keep --epochs 1          # seeds once; prints "kept DIR"
    python bench/train_variants.py DIR '{}'                   # the defaults
    python bench/train_variants.py DIR '{"references": false, "lr_schedule": "constant"}'
    python bench/train_variants.py DIR '{"references": true, "seed": 1}'
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("var_dir", help="A HYDRA_VAR_DIR seeded by bench/train_compact.py --keep.")
    parser.add_argument("hyper_parameters", nargs="?", default="{}", help="JSON object of hyper-parameters.")
    args = parser.parse_args()
    overrides = json.loads(args.hyper_parameters)

    for key in [k for k in os.environ if k.startswith("HYDRA_")]:
        del os.environ[key]
    os.environ.update(
        HYDRA_VAR_DIR=str(Path(args.var_dir).resolve()),
        HYDRA_LOG_LEVEL="WARNING",
        HYDRA_DEBUG="true",
        TF_CPP_MIN_LOG_LEVEL="2",
        DJANGO_SETTINGS_MODULE="hydra_portal.settings",
    )
    import django

    django.setup()
    import numpy as np

    from apps.monitoring import training_data
    from apps.plots.models import Plot, PlotType
    from ml import data, evaluation, training
    from ml.synthetic import DEMO_PLOT_TYPES

    types = list(PlotType.objects.filter(name__in=[d.name for d in DEMO_PLOT_TYPES]))
    if not types:
        sys.exit(f"no demo plot types in {args.var_dir}: seed it with bench/train_compact.py --keep")
    examples = training_data.training_examples(types)
    failures = dict(Plot.objects.filter(plot_type__in=types).values_list("id", "simulated_failure"))
    hp = training.HyperParameters.from_dict(overrides)
    result = training.train(examples, hp, excluded=training_data.excluded_classes(types[0]))

    test = result.split.test
    scores = result.model.predict(data.load_images([e.path for e in test], hp.resolved_input_shape()), verbose=0)
    predicted = evaluation.decide(scores, result.classes)[0]
    truth = np.array([result.classes.index(e.label) for e in test])
    bad = result.classes.index(hp.bad_class)
    is_bad, said_bad = truth == bad, predicted == bad
    print(f"settings: {overrides or 'defaults'}")
    print(f"epochs run: {len(result.history['loss'])} (best {result.best_epoch}), {result.seconds:.0f} s")
    print(f"held-out plots: {len(test)}")
    print(f"accuracy: {(predicted == truth).mean():.4f}")
    print(f"Bad recall: {(said_bad & is_bad).sum() / is_bad.sum():.4f} ({(said_bad & is_bad).sum()}/{is_bad.sum()})")
    if said_bad.any():
        print(f"Bad precision: {(said_bad & is_bad).sum() / said_bad.sum():.4f}")
    for example, p, t, s in zip(test, predicted, truth, scores, strict=True):
        if p != t:
            plot_id = int(str(example.key).split(":")[0])
            failure = failures.get(plot_id) or "none"
            print(
                f"  miss: plot {plot_id} ({example.group}, simulated failure {failure}) is {result.classes[t]}, "
                f"called {result.classes[p]} with scores {[round(float(v), 3) for v in s]}"
            )


if __name__ == "__main__":
    main()
