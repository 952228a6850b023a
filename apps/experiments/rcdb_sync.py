"""Copy run conditions from a Run Conditions Database (RCDB) into the runs the portal knows.

Needs the optional ``rcdb`` extra (``pip install 'hydra-portal[rcdb]'``). Only runs that already
exist in the portal are updated: a run is made by the first plot of it (with its run period), and
a run without plots has nothing to filter or mute. RCDB runs the portal has not seen yet are
counted and picked up by a later sync once their plots are in.

For each configured condition name, the run's value in the RCDB replaces the run's value in the
portal; a condition the RCDB holds no value for is removed from the run. Other keys of
``Run.conditions`` (from the API or ingest sidecars) are kept. Runs whose conditions do not change
are not written, so a second sync of the same data writes nothing.
"""

from __future__ import annotations

import datetime
import json
import re
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction

from apps.experiments.models import Experiment, Run
from apps.experiments.production import index_conditions

BATCH = 500


class SyncError(Exception):
    """A one-line reason the sync could not run (package missing, RCDB unreachable, bad names)."""


@dataclass
class SyncResult:
    experiment: str
    url: str
    names: list[str]
    rcdb_runs: int = 0
    updated: int = 0
    unchanged: int = 0
    not_in_portal: int = 0
    missing_names: list[str] = field(default_factory=list)

    def summary(self) -> str:
        text = (
            f"{self.experiment}: {self.rcdb_runs} RCDB runs read ({', '.join(self.names)}) from {self.url}; "
            f"{self.updated} runs updated, {self.unchanged} unchanged, {self.not_in_portal} not in the portal"
        )
        return text

    def as_dict(self) -> dict:
        return {
            "rcdb_runs": self.rcdb_runs,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "not_in_portal": self.not_in_portal,
        }


def redact(url: str) -> str:
    """The URL without its password, for messages and logs."""
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", url)


def parse_run_range(text: str | None) -> tuple[int | None, int | None]:
    """'A-B', 'A-', '-B' or 'A' → (min, max); raises ValueError with a message."""
    if not text:
        return None, None
    m = re.fullmatch(r"\s*(\d*)\s*-\s*(\d*)\s*|\s*(\d+)\s*", text)
    if not m:
        raise ValueError(f"--runs {text!r}: use A-B, A-, -B or a single run number")
    if m.group(3):
        return int(m.group(3)), int(m.group(3))
    low = int(m.group(1)) if m.group(1) else None
    high = int(m.group(2)) if m.group(2) else None
    if low is not None and high is not None and low > high:
        raise ValueError(f"--runs {text!r}: the first run is above the last")
    return low, high


def _plain(value, value_type: str = ""):
    """An RCDB value as a flat JSON scalar of its condition type's kind (times as ISO text; JSON and
    other kinds as their text; blobs left out). Raw SQL gives SQLite's booleans as 0/1 and its times as text."""
    if value is None:
        return None
    if value_type == "bool":
        return bool(value)
    if value_type == "int" and not isinstance(value, bool):
        return int(value)
    if value_type == "float":
        return float(value)
    if value_type == "time":
        if isinstance(value, str):
            try:
                value = datetime.datetime.fromisoformat(value)
            except ValueError:
                return value
        return value.isoformat() if isinstance(value, (datetime.datetime, datetime.date)) else str(value)
    if value_type == "blob" or isinstance(value, bytes):
        return None
    if isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat()
    return json.dumps(value) if isinstance(value, (list, dict)) else str(value)


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:300]


def open_rcdb(url: str):
    try:
        import rcdb
    except ImportError:
        raise SyncError(
            "the rcdb package is not installed: pip install 'hydra-portal[rcdb]' (or pip install rcdb)"
        ) from None
    try:
        return rcdb.RCDBProvider(url)
    except Exception as exc:
        raise SyncError(f"the RCDB at {redact(url)} is unreachable: {_first_line(exc)}") from None


def _url(experiment: Experiment, url: str | None) -> str:
    """The RCDB URL asked for, else the experiment's, else HYDRA_RCDB_URL; SyncError when none."""
    url = (url or experiment.rcdb_url or getattr(settings, "RCDB_URL", "") or "").strip()
    if not url:
        raise SyncError(
            f"no RCDB URL for {experiment.name}: set it on the experiment (admin), in HYDRA_RCDB_URL, or pass --url"
        )
    return url


def _names(experiment: Experiment, names: list[str] | None) -> list[str]:
    """The condition names asked for, else the experiment's, stripped and once each; SyncError when none."""
    names = [n.strip() for n in (names or experiment.rcdb_condition_names) if n.strip()]
    names = list(dict.fromkeys(names))
    if not names:
        raise SyncError(
            f"no condition names for {experiment.name}: set 'RCDB conditions' on the experiment or pass --conditions"
        )
    return names


def _read(url: str, names: list[str], low: int | None, high: int | None) -> tuple[dict[str, str], list[list]]:
    """The value type of each condition of the RCDB, and the rows (run, *values of ``names``) in [low, high].

    Raises SyncError when the RCDB cannot be read or lacks a name; no rows are read when ``low`` is None."""
    db = open_rcdb(url)
    try:
        try:
            known = {name: ct.value_type for name, ct in db.get_condition_types_by_name().items()}
        except Exception as exc:
            raise SyncError(f"the RCDB at {redact(url)} could not be read: {_first_line(exc)}") from None
        missing = [n for n in names if n not in known]
        if missing:
            raise SyncError(f"the RCDB at {redact(url)} has no condition named {', '.join(missing)}")
        if low is None:
            return known, []  # the portal has no runs in range yet
        try:
            table = db.select_values(names, run_min=low, run_max=high)
            return known, [list(row) for row in table]
        except Exception as exc:
            raise SyncError(f"reading the RCDB at {redact(url)} failed: {_first_line(exc)}") from None
    finally:
        db.close()


def _merged(conditions: dict | None, values: dict) -> dict:
    """A run's conditions with the RCDB's values in: a value of None removes the condition."""
    merged = dict(conditions or {})
    for name, value in values.items():
        if value is None:
            merged.pop(name, None)
        else:
            merged[name] = value
    return merged


def _write(runs, by_number: dict[int, dict], wanted: list[int], result: SyncResult, progress) -> None:
    """Write the merged conditions of the ``wanted`` runs that change, ``BATCH`` runs a transaction."""
    for start in range(0, len(wanted), BATCH):
        chunk = wanted[start : start + BATCH]
        changed = []
        with transaction.atomic():
            for run in runs.filter(number__in=chunk).select_for_update().only("id", "number", "conditions"):
                merged = _merged(run.conditions, by_number[run.number])
                if merged == (run.conditions or {}):
                    result.unchanged += 1
                    continue
                run.conditions = merged
                changed.append(run)
            if changed:
                Run.objects.bulk_update(changed, ["conditions"])
                index_conditions(changed)
        result.updated += len(changed)
        if progress is not None:
            progress(min(start + BATCH, len(wanted)) / max(len(wanted), 1), f"{result.updated} runs updated")


def sync(
    experiment: Experiment,
    url: str | None = None,
    names: list[str] | None = None,
    run_min: int | None = None,
    run_max: int | None = None,
    progress=None,
) -> SyncResult:
    """Copy ``names`` (default: the experiment's rcdb_conditions) from the RCDB at ``url`` (default: the
    experiment's rcdb_url, else HYDRA_RCDB_URL) into the experiment's runs in [run_min, run_max]."""
    url = _url(experiment, url)
    names = _names(experiment, names)
    runs = Run.objects.filter(experiment=experiment).exclude(number=Run.SIMULATED)
    if run_min is not None:
        runs = runs.filter(number__gte=run_min)
    if run_max is not None:
        runs = runs.filter(number__lte=run_max)
    result = SyncResult(experiment.name, redact(url), names)
    numbers = list(runs.order_by("number").values_list("number", flat=True))
    low = run_min if run_min is not None else (numbers[0] if numbers else None)
    high = run_max if run_max is not None else (numbers[-1] if numbers else None)
    known, rows = _read(url, names, low, high)
    if low is None:
        return result
    result.rcdb_runs = len(rows)
    by_number = {
        int(row[0]): {name: _plain(v, known[name]) for name, v in zip(names, row[1:], strict=True)} for row in rows
    }
    result.not_in_portal = len(set(by_number) - set(numbers))
    _write(runs, by_number, [n for n in numbers if n in by_number], result, progress)
    return result
