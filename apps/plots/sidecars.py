"""Run conditions that come with the images: a ``conditions.json`` beside a run's image files.

    RunPeriod-2021-08/Run080464/conditions.json   {"beam_current": 152.3, "run_type": "production"}

The file is a flat JSON object of numbers, strings, booleans and nulls. Its keys replace those keys
in the run's conditions (null removes one); other keys are kept. It is read when an ingest sees
images of that run, so running ingest over the tree again picks up an edited file. A file that is
not valid is reported as a rejected file with the reason, and leaves the run's conditions alone.
"""

from __future__ import annotations

import json
import os

from apps.experiments.condition_values import check_conditions
from apps.experiments.models import Run
from apps.plots.sources import Outcome

SIDECAR = "conditions.json"
MAX_SIDECAR_BYTES = 256 * 1024


def read_sidecar(path: str) -> dict:
    """The conditions in ``path``; raises ValueError with a message for a file that is not valid."""
    size = os.path.getsize(path)
    if size > MAX_SIDECAR_BYTES:
        raise ValueError(f"file is {size:,} bytes, over the limit of {MAX_SIDECAR_BYTES:,}")
    with open(path, "rb") as fh:
        raw = fh.read()
    try:
        value = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"not valid JSON: {exc}") from None
    return check_conditions(value)


def apply_sidecars(experiment, folders: dict[int, tuple[str, str]]) -> list[Outcome]:
    """Merge each run's sidecar into its conditions. ``folders`` maps a run number to (the folder on
    disk, its name as reported); returns an Outcome for each sidecar that was not valid."""
    from apps.experiments.production import index_conditions

    problems = []
    found: dict[int, dict] = {}
    for number, (folder, shown) in folders.items():
        path = os.path.join(folder, SIDECAR)
        if not os.path.isfile(path):
            continue
        name = f"{shown}/{SIDECAR}" if shown else SIDECAR
        try:
            found[number] = read_sidecar(path)
        except (ValueError, OSError) as exc:
            problems.append(Outcome(name, "rejected", reason=f"run conditions not read: {exc}"))
    if not found:
        return problems
    changed = []
    for run in Run.objects.filter(experiment=experiment, number__in=list(found)).only("id", "number", "conditions"):
        merged = dict(run.conditions or {})
        for key, value in found[run.number].items():
            if value is None:
                merged.pop(key, None)
            else:
                merged[key] = value
        if merged != (run.conditions or {}):
            run.conditions = merged
            changed.append(run)
    if changed:
        Run.objects.bulk_update(changed, ["conditions"])
        index_conditions(changed)
    return problems
