"""A realistic demo experiment for the browser tests: the synthetic GlueX-like detector's plots."""

from __future__ import annotations

import functools
from types import SimpleNamespace

from apps.core.models import Announcement
from apps.labels.models import LabelClass
from tests import factories

try:  # the synthetic detector renders real-looking monitoring plots
    from ml.synthetic import DEMO_PLOT_TYPES, choose_failure, demo_plot
except ImportError:  # pragma: no cover - only while ml/synthetic is being written
    DEMO_PLOT_TYPES, choose_failure, demo_plot = (), None, None

FIRST_RUN = 30400
RUNS = 12
LABELED_RUNS = 7  # the newest runs stay unlabeled for the labeler
GROUPS = {
    "Tracking": ("Drift chambers",),
    "Drift chambers": ("CDC", "FDC"),
    "Calorimeters": ("FCAL", "BCAL"),
    "Particle ID": ("Timing",),
    "Timing": ("TOF", "SC", "RF"),
}


@functools.lru_cache(maxsize=512)
def image(type_index: int, run: int, seed: int = 7) -> tuple[bytes, str]:
    """PNG bytes and the true label of one demo plot (cached: rendering takes ~50 ms)."""
    if demo_plot is None:
        return factories.png_bytes(480, 360, seed=run * 31 + type_index), "Good"
    pt = DEMO_PLOT_TYPES[type_index]
    failure = choose_failure(pt, run, seed, bad_rate=0.18, nodata_rate=0.03)
    return demo_plot(pt, run, seed, failure)


def store_plot(ptype, run_obj, camp, data: bytes, **kw):
    return factories.plot_from_png(
        ptype,
        data,
        run_obj,
        camp,
        thumbnail_width=320,
        original_path=f"{run_obj.run_period.name}/Run{run_obj.number:06d}/{ptype.name}.png",
        **kw,
    )


def build(runs: int = RUNS, with_banner: bool = False) -> SimpleNamespace:
    """GlueX with the demo detector's plot types in nested groups, two campaigns, labels on older runs."""
    from apps.labels.services import apply_labels

    # A transactional test's flush removes the roles the accounts migration made.
    factories.restore_roles()
    exp = factories.experiment("GlueX")
    LabelClass.objects.create(experiment=exp, name="HotChannel", colour="#f08c00", hotkey="h", meaning="bad", order=5)
    classes = {c.name: c for c in LabelClass.objects.filter(experiment=exp)}
    online = factories.campaign(exp, "online")
    recon = factories.campaign(exp, "recon-ver03", kind="offline")
    specs = DEMO_PLOT_TYPES or ()
    types = []
    for spec in specs:
        types.append(
            factories.plot_type(
                exp,
                spec.name,
                detector=spec.detector,
                description=spec.description,
                expert_contact=f"{spec.detector} on-call expert <{spec.detector.lower()}-expert@example.org>",
            )
        )
    groups = {}
    for name in ("Tracking", "Drift chambers", "Calorimeters", "Particle ID", "Timing"):
        groups[name] = factories.plot_group(exp, name)
    for parent, members in GROUPS.items():
        for member in members:
            if member in groups:
                groups[member].parents.add(groups[parent])
            else:
                groups[parent].plot_types.add(*[t for t in types if t.detector == member])
    run_objs = []
    for r in range(runs):
        number = FIRST_RUN + r
        period = "RunPeriod-2023-01" if r < runs // 2 else "RunPeriod-2023-08"
        run_objs.append(factories.run(exp, number, period=period))
    plots = {}
    to_label = []
    # Run by run, every plot type in each, as a feeder ingests them.
    for r, run_obj in enumerate(run_objs):
        for i, pt in enumerate(types):
            data, truth = image(i, run_obj.number)
            plot = store_plot(pt, run_obj, online, data)
            plots[(pt.name, run_obj.number)] = plot
            if r < LABELED_RUNS:
                to_label.append((plot, classes.get(truth, classes["Bad"])))
    for run_obj in run_objs[2:4]:
        for i, pt in enumerate(types):
            data, _ = image(i, run_obj.number, seed=11)
            plots[(pt.name, run_obj.number, "recon")] = store_plot(pt, run_obj, recon, data)
    for pt in types:
        mine = [(p, c) for p, c in to_label if p.plot_type_id == pt.pk]
        pt.reference_plot = next((p for p, c in mine if c.name == "Good"), mine[0][0] if mine else None)
        pt.save(update_fields=["reference_plot"])
    expert = factories.user("ada", first_name="Ada")
    apply_labels(to_label, user=expert)
    other = factories.experiment("CLAS12")
    dc = factories.plot_type(other, "DC_occupancy", detector="DC")
    for n in (5100, 5101):
        store_plot(
            dc, factories.run(other, n, period="RGA-Fall2018"), factories.campaign(other, "online"), image(0, n)[0]
        )
    if with_banner:
        Announcement.objects.create(message="Scheduled maintenance of the ingest feeder on Thursday 08:00–09:00.")
    return SimpleNamespace(exp=exp, types=types, groups=groups, runs=run_objs, plots=plots, classes=classes)
