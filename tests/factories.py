"""Small factories: each makes one valid object with sensible defaults; pass what the test cares about."""

from __future__ import annotations

import io
import itertools
from pathlib import Path
from types import SimpleNamespace

import numpy as np
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from PIL import Image

from apps.experiments.models import Campaign, Experiment, Run, RunPeriod
from apps.labels.defaults import ensure_default_classes
from apps.labels.models import Label, LabelClass
from apps.plots import imaging
from apps.plots.models import Plot, PlotGroup, PlotType

_seq = itertools.count(1)


def png_bytes(width: int = 64, height: int = 48, seed: int = 0, fmt: str = "PNG") -> bytes:
    rng = np.random.default_rng(seed)
    pixels = (rng.random((height, width, 3)) * 255).astype("uint8")
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, fmt)
    return out.getvalue()


def experiment(name: str | None = None, **kw) -> Experiment:
    exp = Experiment.objects.create(name=name or f"Experiment {next(_seq)}", **kw)
    ensure_default_classes(exp)
    return exp


def run_period(exp: Experiment, name: str = "RunPeriod-2021-08") -> RunPeriod:
    return RunPeriod.objects.get_or_create(experiment=exp, name=name)[0]


def run(exp: Experiment, number: int | None = None, period: str = "RunPeriod-2021-08", **kw) -> Run:
    number = next(_seq) + 1000 if number is None else number
    return Run.objects.create(experiment=exp, number=number, run_period=run_period(exp, period), **kw)


def campaign(exp: Experiment, name: str = "online", **kw) -> Campaign:
    return Campaign.objects.get_or_create(experiment=exp, name=name, defaults=kw)[0]


def plot_type(exp: Experiment, name: str | None = None, **kw) -> PlotType:
    return PlotType.objects.create(experiment=exp, name=name or f"PT_{next(_seq)}", **kw)


def plot_group(exp: Experiment, name: str | None = None, types=(), parents=(), **kw) -> PlotGroup:
    group = PlotGroup.objects.create(experiment=exp, name=name or f"Group {next(_seq)}", **kw)
    group.plot_types.add(*types)
    group.parents.add(*parents)
    return group


def label_class(exp: Experiment, name: str) -> LabelClass:
    return LabelClass.objects.get(experiment=exp, name=name)


def plot(
    ptype: PlotType,
    run_obj: Run | None = None,
    camp: Campaign | None = None,
    chunk: int = 0,
    seed: int | None = None,
    media_root=None,
    **kw,
) -> Plot:
    """A plot with a real image and thumbnail written under the media root."""
    data = png_bytes(40, 30, seed if seed is not None else next(_seq))
    return plot_from_png(ptype, data, run_obj, camp, chunk, thumbnail_width=32, media_root=media_root, **kw)


def user(username: str | None = None, password: str = "pw-for-tests-1", roles=(), **kw):
    account = get_user_model().objects.create_user(username or f"user{next(_seq)}", password=password, **kw)
    for role in roles:
        account.groups.add(Group.objects.get(name=role))
    return account


def label(plot_obj: Plot, cls: LabelClass, who=None, comment: str = "") -> Label:
    from apps.labels.services import apply_labels

    return apply_labels([(plot_obj, cls)], user=who, comment=comment)[0]


def restore_roles() -> None:
    """Recreate the roles the accounts and alerts migrations made (a transactional test's flush removes them)."""
    from django.contrib.auth.models import Permission

    from apps.accounts.roles import ADMIN, ADMIN_APPS, ROLE_PERMISSIONS

    for role, codes in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        perms = []
        for code in codes:
            app_label, codename = code.split(".")
            perms.extend(Permission.objects.filter(content_type__app_label=app_label, codename=codename))
        group.permissions.set(perms)
    admin, _ = Group.objects.get_or_create(name=ADMIN)
    admin.permissions.set(Permission.objects.filter(content_type__app_label__in=ADMIN_APPS))
    # The alarm permissions and the Shift crew role come from the alerts app's migration.
    from apps.alerts.permissions import grant_role_permissions

    grant_role_permissions(Group, Permission)


def api_token(owner, name: str = "script"):
    """An API token of ``owner``; returns (token, key)."""
    from apps.accounts.models import ApiToken

    return ApiToken.issue(owner, name)


def labeling_grant(who, plot_type: PlotType | None = None, plot_group: PlotGroup | None = None):
    """Let ``who`` (a user or a Django group) label ``plot_type`` or every type under ``plot_group``."""
    from apps.labels.models import LabelingGrant

    owner = {"group": who} if isinstance(who, Group) else {"user": who}
    return LabelingGrant.objects.create(plot_type=plot_type, plot_group=plot_group, **owner)


def plot_from_png(
    ptype: PlotType,
    data: bytes,
    run_obj: Run | None = None,
    camp: Campaign | None = None,
    chunk: int = 0,
    thumbnail_width: int = 64,
    media_root=None,
    **kw,
) -> Plot:
    """A plot whose image is ``data`` (PNG bytes), stored under the media root like an ingested one."""
    from django.conf import settings

    exp = ptype.experiment
    run_obj = run_obj or run(exp)
    camp = camp or campaign(exp)
    limits = imaging.Limits(max_bytes=10**8, max_pixels=10**8, thumbnail_width=thumbnail_width)
    stored = imaging.store(data, limits, str(media_root or settings.MEDIA_ROOT))
    plot = Plot.from_stored(stored, plot_type=ptype, run=run_obj, campaign=camp, chunk=chunk, **kw)
    plot.save()
    return plot


def validation_report(camp: Campaign, reference: Campaign, **kw):
    """A validation report of ``camp`` against ``reference`` (not computed yet)."""
    from apps.validation.models import ValidationReport

    return ValidationReport.objects.create(experiment=camp.experiment, campaign=camp, reference=reference, **kw)


def grant_monitoring_roles() -> None:
    """Give the roles their monitoring permissions again (a transactional test's flush removes them)."""
    from django.contrib.auth.models import Permission

    from apps.monitoring.permissions import grant_role_permissions

    grant_role_permissions(Group, Permission)


def classifier_model(
    ptype: PlotType,
    classes=("Bad", "Good"),
    input_shape=(32, 32, 3),
    activate: bool = False,
    thresholds: dict | None = None,
    **kw,
):
    """A ready ClassifierModel with a real (untrained, tiny) model file under the media root."""
    from pathlib import Path

    from django.conf import settings

    from apps.monitoring.models import ActiveModel, ClassifierModel
    from ml import architectures, model_files

    exp = ptype.experiment
    version = ClassifierModel.objects.filter(plot_type=ptype).count() + 1
    model = ClassifierModel.objects.create(
        plot_type=ptype,
        version=version,
        status=ClassifierModel.Status.READY,
        label_map=list(classes),
        class_ids=[label_class(exp, name).pk for name in classes],
        input_shape=list(input_shape),
        thresholds=thresholds or {name: {"value": 0.5, "set_by": "initial"} for name in classes},
        **kw,
    )
    model.path = f"models/{ptype.pk}/{model.pk}.keras"
    network = architectures.build_model("compact", input_shape, len(classes), filters=(4, 8))
    info = model_files.ModelInfo(label_map=list(classes), input_shape=list(input_shape), architecture="compact")
    model_files.save(network, Path(settings.MEDIA_ROOT) / model.path, info)
    model.save(update_fields=["path"])
    if activate:
        ActiveModel.objects.update_or_create(plot_type=ptype, defaults={"model": model})
    return model


def classification(plot_obj: Plot, model, verdict: str = "Bad", confidence: float = 0.9, confirmed: bool = True, **kw):
    """A stored verdict of ``model`` on ``plot_obj`` (also copied onto the plot, as the worker does)."""
    from apps.monitoring.models import Classification

    cls = label_class(plot_obj.experiment, verdict)
    row = Classification.objects.create(
        plot=plot_obj,
        model=model,
        plot_type_id=plot_obj.plot_type_id,
        run_number=plot_obj.run_number,
        verdict_class=cls,
        confidence=confidence,
        scores={verdict: confidence},
        confirmed=confirmed,
        **kw,
    )
    Plot.objects.filter(pk=plot_obj.pk).update(
        verdict_class=cls, verdict_confidence=confidence, verdict_confirmed=confirmed, classified_at=row.created_at
    )
    return row


def model_row(ptype: PlotType, version: int = 1, classes=("Bad", "Good"), **kw):
    """A ready ClassifierModel row without a model file (for tests that store verdicts directly)."""
    from apps.monitoring.models import ClassifierModel

    exp = ptype.experiment
    return ClassifierModel.objects.create(
        plot_type=ptype,
        version=version,
        status=ClassifierModel.Status.READY,
        label_map=list(classes),
        class_ids=[label_class(exp, name).pk for name in classes],
        **kw,
    )


def plots_on_new_runs(ptype: PlotType, count: int, start: int = 5000, camp: Campaign | None = None, **kw) -> list[Plot]:
    """``count`` more plots of ``ptype``, one on each new run from ``start`` up."""
    exp = ptype.experiment
    return [plot(ptype, run(exp, start + i), camp, **kw) for i in range(count)]


def labeled_plots(ptype: PlotType, camp: Campaign, pngs: dict[str, list[tuple[int, bytes]]]) -> list[Plot]:
    """Plots from PNG bytes, one per (run, png) and labeled with its key ("Good", "Bad"...), in the order given."""
    out = []
    for name, items in pngs.items():
        cls = label_class(ptype.experiment, name)
        for number, data in items:
            out.append(plot_from_png(ptype, data, run(ptype.experiment, number), camp))
            label(out[-1], cls)
    return out


def browse_scene(runs=(1001, 1002, 1003, 1004, 1005)) -> SimpleNamespace:
    """A small experiment to browse: two detectors, a hidden type, nested groups, two campaigns, a few labels."""
    exp = experiment("GlueX")
    cdc = plot_type(exp, "CDC_occupancy", detector="CDC")
    fcal = plot_type(exp, "FCAL_occupancy", detector="FCAL")
    hidden = plot_type(exp, "Hidden_type", detector="CDC", ignored=True)
    tracking = plot_group(exp, "Tracking")
    drift = plot_group(exp, "Drift chambers", types=[cdc], parents=[tracking])
    calo = plot_group(exp, "Calorimeters", types=[fcal])
    online = campaign(exp, "online")
    recon = campaign(exp, "recon-ver02")
    run_objs = {n: run(exp, n, period="RunPeriod-2021-08" if n < 1004 else "RunPeriod-2022-05") for n in runs}
    plots = {}
    for n, r in run_objs.items():
        plots[("cdc", n)] = plot(cdc, r, online)
        plots[("fcal", n)] = plot(fcal, r, online)
    plots[("fcal-recon", runs[2])] = plot(fcal, run_objs[runs[2]], recon)
    plots[("hidden", runs[0])] = plot(hidden, run_objs[runs[0]], online)
    good, bad = label_class(exp, "Good"), label_class(exp, "Bad")
    label(plots[("cdc", runs[0])], good)
    label(plots[("cdc", runs[1])], bad)
    label(plots[("fcal", runs[1])], good)
    return SimpleNamespace(
        exp=exp,
        cdc=cdc,
        fcal=fcal,
        hidden=hidden,
        tracking=tracking,
        drift=drift,
        calo=calo,
        online=online,
        recon=recon,
        runs=run_objs,
        plots=plots,
        good=good,
        bad=bad,
        nodata=label_class(exp, "NoData"),
    )


def demo_installation(media_root: Path) -> dict:
    """seed_demo (one run: 28 plots, labels, users, audit entries), a model with its file, verdicts, a token."""
    from django.core.management import call_command

    from apps.audit import record

    restore_roles()  # a transactional test's flush removed the roles the migrations made
    call_command("seed_demo", runs=1, workers=1, stdout=io.StringIO(), stderr=io.StringIO())
    ptype = PlotType.objects.order_by("pk").first()
    model = classifier_model(ptype, activate=True)
    heat = media_root / f"gradcam/m{model.pk}/heat.png"
    heat.parent.mkdir(parents=True)
    heat.write_bytes(png_bytes(8, 8, seed=5))
    plots = list(Plot.objects.filter(plot_type=ptype).order_by("pk"))
    for one in plots:
        classification(one, model, verdict="Good", confidence=0.75, gradcam=str(heat.relative_to(media_root)))
    admin = user("backup-admin", roles=["Admin"])
    api_token(admin, "nightly")
    record(admin, "backup.test", plots[0], note="before the backup")
    return {"model": model, "plots": plots}
