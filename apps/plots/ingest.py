"""Bring image files into the portal: check, deduplicate, store, thumbnail, insert in bulk.

Used by ``manage.py ingest`` (directory trees, the feeder) and by uploads. A file that is
not a usable image is rejected with a message naming it; the rest of the batch still goes
in. Rows and files go together: no row without its file, and files written for a batch
whose insert fails are removed again.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context

from django.conf import settings
from django.db import DatabaseError, IntegrityError, transaction

from apps.core.events import publish_on_commit
from apps.core.outage import close_broken_connections, describe, is_outage
from apps.core.timing import record as record_timing
from apps.experiments.models import Campaign, Experiment, Run, RunPeriod
from apps.plots import imaging, storing
from apps.plots.layout import PlotRef
from apps.plots.models import Plot, PlotType
from apps.plots.sidecars import apply_sidecars
from apps.plots.signals import plots_ingested
from apps.plots.sources import SLOT_TAKEN, IngestReport, Outcome, Source, crawl, limits, locate, slot_taken

# Callers import these from here: the ingest's vocabulary, defined in apps.plots.sources.
__all__ = ["SLOT_TAKEN", "IngestReport", "Ingestor", "Outcome", "Source", "crawl", "locate", "slot_taken"]

log = logging.getLogger(__name__)

# Below this many new images per batch a process pool costs more than it saves.
POOL_THRESHOLD = 24


class Ingestor:
    """Ingest sources for one experiment, creating runs, periods, campaigns and plot types on first sight.

    New plots get ``training_weight`` (0: kept for testing only); plots already there keep theirs.
    """

    def __init__(
        self,
        experiment: Experiment,
        *,
        campaign: str = "online",
        create: bool = True,
        workers: int | None = None,
        batch_size: int = 500,
        training_weight: int = 1,
    ):
        self.experiment = experiment
        self.training_weight = training_weight
        self.default_campaign = campaign
        self.create = create
        self.workers = workers if workers is not None else (settings.INGEST_WORKERS or os.cpu_count() or 1)
        self.batch_size = batch_size
        self.limits = limits()
        self._pool: ProcessPoolExecutor | None = None
        self._periods: dict[str, RunPeriod] = {}
        self._runs: dict[int, Run] = {}
        self._runs_by_id: dict[int, Run] = {}
        self._campaigns: dict[str, Campaign] = {}
        self._types: dict[str, PlotType] = {}

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None

    def ingest(self, items: Iterable[Source | Outcome], *, stop_on_outage: bool = False) -> IngestReport:
        """Ingest in batches. A database outage raises, or with ``stop_on_outage`` ends the report early.

        Stopped early, the report keeps the batches that went in and lists every file left out
        (``unfinished``); nothing of those is stored, so running the same files again completes the job.
        """
        report = IngestReport()
        started = time.perf_counter()
        batch: list[Source] = []
        folders: dict[int, tuple[str, str]] = {}  # run number → folder of its images (for conditions.json)
        pending = iter(items)
        try:
            for item in pending:
                if isinstance(item, Outcome):
                    report.outcomes.append(item)
                    continue
                if item.path is not None and item.ref.run not in folders:
                    folders[item.ref.run] = (os.path.dirname(item.path), os.path.dirname(item.name))
                batch.append(item)
                if len(batch) >= self.batch_size:
                    report.outcomes.extend(self._ingest_batch(batch))
                    batch = []
            if batch:
                report.outcomes.extend(self._ingest_batch(batch))
                batch = []
            report.outcomes.extend(apply_sidecars(self.experiment, folders))
        except DatabaseError as exc:
            if not (stop_on_outage and is_outage(exc)):
                raise
            close_broken_connections()
            report.error = describe(exc)
            report.unfinished = [s.name for s in batch] + [i.name for i in pending if isinstance(i, Source)]
        report.seconds = time.perf_counter() - started
        return report

    # -- one batch -------------------------------------------------------------------------

    def _ingest_batch(self, batch: list[Source]) -> list[Outcome]:
        started = time.perf_counter()
        outcomes: dict[int, Outcome] = {}
        wanted: list[tuple[int, Source, tuple, bytes, str]] = []
        for i, source in enumerate(batch):
            try:
                data = source.read(self.limits.max_bytes)
            except imaging.ImageRejected as exc:
                outcomes[i] = Outcome(source.name, "rejected", reason=str(exc))
                continue
            except OSError as exc:
                outcomes[i] = Outcome(source.name, "rejected", reason=f"cannot read: {exc.strerror or exc}")
                continue
            wanted.append((i, source, self._key(source.ref), data, imaging.sha256_of(data)))

        # Slots are compared by name, so nothing is created for a file that turns out to be rejected.
        existing = self._existing_slots([w[2] for w in wanted])
        fresh: list[tuple[int, Source, tuple, bytes, str]] = []
        for i, source, key, data, digest in wanted:
            held = existing.get(key)
            if held is None:
                existing[key] = (digest, None)
                fresh.append((i, source, key, data, digest))
            elif held[0] == digest:
                outcomes[i] = Outcome(source.name, "duplicate", plot=held[1])
            else:
                outcomes[i] = slot_taken(source.name, held[0])

        stored = self._store_all([(data, digest) for _, _, _, data, digest in fresh])
        good = []
        for (i, source, _key, _data, _digest), result in zip(fresh, stored, strict=True):
            if isinstance(result, str):
                outcomes[i] = Outcome(source.name, "rejected", reason=result)
            else:
                good.append((i, source, result))
        outcomes.update(self._insert(good))
        # The status page's ingest stage: the batch's time shared by the plots it stored.
        record_timing("ingest", time.perf_counter() - started, sum(o.status == "new" for o in outcomes.values()))
        return [outcomes[i] for i in sorted(outcomes)]

    def _key(self, ref: PlotRef) -> tuple:
        return (ref.plot_type, ref.run, ref.campaign or self.default_campaign, ref.chunk)

    def _store_all(self, items: list[tuple[bytes, str]]) -> list[imaging.StoredImage | str]:
        if len(items) >= POOL_THRESHOLD and self.workers > 1:
            if self._pool is None:
                self._pool = ProcessPoolExecutor(self.workers, mp_context=get_context("spawn"))
            return storing.store_all(items, self.limits, self._pool)
        return storing.store_all(items, self.limits)

    def _insert(self, good: list[tuple[int, Source, imaging.StoredImage]]) -> dict[int, Outcome]:
        if not good:
            return {}
        outcomes: dict[int, Outcome] = {}
        try:
            with transaction.atomic():
                new_plots = self._insert_rows(good, outcomes)
        except BaseException:
            self._undo_batch(good)
            raise
        unused = [p for i, _, stored in good if outcomes[i].status != "new" for p in stored.created]
        self._remove_unreferenced(unused)
        if new_plots:
            publish_on_commit(
                "plots",
                "plots.created",
                {
                    "experiment": self.experiment.slug,
                    "ids": [p.pk for p in new_plots],
                    "plot_types": sorted({p.plot_type_id for p in new_plots}),
                    "runs": sorted({p.run_number for p in new_plots}),
                },
            )
        return outcomes

    def _insert_rows(self, good: list[tuple[int, Source, imaging.StoredImage]], outcomes: dict[int, Outcome]):
        """Insert the plots' rows (in the caller's transaction), an outcome each in ``outcomes``; the new plots."""
        rows = []
        for i, source, stored in good:
            try:
                rows.append((i, source, self._plot_row(source, stored)))
            except imaging.ImageRejected as exc:
                outcomes[i] = Outcome(source.name, "rejected", reason=str(exc))
        try:
            with transaction.atomic():
                plots = Plot.objects.bulk_create([plot for _, _, plot in rows])
            if any(p.pk is None for p in plots):
                self._fetch_ids(plots)
            for (i, source, _), plot in zip(rows, plots, strict=True):
                outcomes[i] = Outcome(source.name, "new", plot=plot)
        except IntegrityError:
            # Another ingest filled some slots meanwhile: insert one by one to keep the rest.
            for i, source, plot in rows:
                try:
                    with transaction.atomic():
                        plot.pk = None
                        plot.save()
                    outcomes[i] = Outcome(source.name, "new", plot=plot)
                except IntegrityError:
                    outcomes[i] = self._raced(source, plot)
        new_plots = [o.plot for o in outcomes.values() if o.status == "new"]
        if new_plots:
            # In the plots' transaction: the jobs listeners queue (classification, validation)
            # commit with the plots or not at all, so no stored plot is left without its job.
            plots_ingested.send(sender=Plot, plots=new_plots, experiment=self.experiment)
        return new_plots

    def _undo_batch(self, good: list[tuple[int, Source, imaging.StoredImage]]) -> None:
        """After the batch's transaction rolled back: forget its cached rows and remove the files it wrote."""
        # The transaction rolled back: rows created in it (runs, plot types) are gone too.
        self._forget_cached_rows()
        written = [p for _, _, stored in good for p in stored.created]
        try:
            self._remove_unreferenced(written)
        except DatabaseError as cleanup_exc:
            if not is_outage(cleanup_exc):
                raise
            # The database cannot say whether a concurrent ingest now uses these files. This batch
            # wrote them, so they go: an orphan is certain, such a race (same bytes, committed in
            # the moment before the outage) is not.
            storing.remove(written)

    @staticmethod
    def _raced(source: Source, plot: Plot) -> Outcome:
        """The outcome for a slot another ingest filled between our look-up and our insert."""
        # A locking read sees the committed row even where the transaction reads a snapshot (MySQL).
        held = (
            Plot.objects.select_for_update()
            .filter(plot_type_id=plot.plot_type_id, run_id=plot.run_id, campaign_id=plot.campaign_id, chunk=plot.chunk)
            .only("id", "sha256")
            .first()
        )
        if held is None:
            return Outcome(source.name, "rejected", reason="another upload was filling this plot slot; try again")
        if held.sha256 != plot.sha256:
            return slot_taken(source.name, held.sha256)
        return Outcome(source.name, "duplicate", plot=held)

    def _fetch_ids(self, plots: list[Plot]) -> None:
        # Backends that cannot return ids from a bulk insert (MySQL): look them up by slot.
        keys = {(p.plot_type_id, p.run_id, p.campaign_id, p.chunk): p for p in plots}
        found = Plot.objects.filter(
            plot_type_id__in={k[0] for k in keys},
            run_id__in={k[1] for k in keys},
            campaign_id__in={k[2] for k in keys},
        ).values_list("plot_type_id", "run_id", "campaign_id", "chunk", "id")
        for *key, pk in found:
            plot = keys.get(tuple(key))
            if plot is not None:
                plot.pk = pk

    def _remove_unreferenced(self, paths: list[str]) -> None:
        if not paths:
            return
        used = set(Plot.objects.filter(image__in=paths).values_list("image", flat=True))
        used |= set(Plot.objects.filter(thumbnail__in=paths).values_list("thumbnail", flat=True))
        storing.remove([p for p in paths if p not in used])

    def _existing_slots(self, keys: list[tuple]) -> dict[tuple, tuple[str, Plot | None]]:
        """Map each key already filled in the database to (sha256, plot)."""
        if not keys:
            return {}
        # Rows found here are cached, so inserting the new plots needs no second lookup.
        names, numbers, campaign_names = {k[0] for k in keys}, {k[1] for k in keys}, {k[2] for k in keys}
        mine = {"experiment": self.experiment}
        self._remember(self._types, PlotType.objects.filter(**mine), "name", names)
        self._remember(self._runs, Run.objects.filter(**mine).select_related("run_period"), "number", numbers)
        self._remember(self._campaigns, Campaign.objects.filter(**mine), "name", campaign_names)
        for run in self._runs.values():
            self._runs_by_id[run.pk] = run
        types = {t.pk: name for name, t in self._types.items() if name in names}
        runs = {r.pk: number for number, r in self._runs.items() if number in numbers}
        campaigns = {c.pk: name for name, c in self._campaigns.items() if name in campaign_names}
        if not (types and runs and campaigns):
            return {}
        wanted = set(keys)
        found = Plot.objects.filter(plot_type_id__in=types, run_id__in=runs, campaign_id__in=campaigns).only(
            "id", "plot_type_id", "run_id", "campaign_id", "chunk", "sha256"
        )
        by_slot = {}
        for plot in found:
            slot = (
                types[plot.plot_type_id],
                runs[plot.run_id],
                campaigns[plot.campaign_id],
                plot.chunk,
            )
            if slot in wanted:
                by_slot[slot] = (plot.sha256, plot)
        return by_slot

    # -- dimension rows, cached per ingest -------------------------------------------------------

    @staticmethod
    def _remember(cache: dict, qs, field: str, wanted: set) -> None:
        missing = wanted - cache.keys()
        if missing:
            for row in qs.filter(**{f"{field}__in": missing}):
                cache[getattr(row, field)] = row

    def _forget_cached_rows(self) -> None:
        for cache in (self._periods, self._runs, self._runs_by_id, self._campaigns, self._types):
            cache.clear()

    def _plot_row(self, source: Source, stored: imaging.StoredImage) -> Plot:
        ref = source.ref
        plot_type = self._plot_type(ref.plot_type)
        run = self._run(ref.run, ref.run_period)
        campaign = self._campaign(ref.campaign or self.default_campaign)
        return Plot.from_stored(
            stored,
            plot_type=plot_type,
            run=run,
            campaign=campaign,
            chunk=ref.chunk,
            original_path=source.name[:500],
            training_weight=self.training_weight,
        )

    # Rows that exist were cached by _existing_slots: a miss below is a row to create.

    def _plot_type(self, name: str) -> PlotType:
        if name not in self._types:
            if not self.create:
                raise imaging.ImageRejected(f"unknown plot type {name!r} (create it first, or allow creation)")
            self._types[name], _ = PlotType.objects.get_or_create(
                experiment=self.experiment,
                name=name,
                defaults={"collect_fraction": settings.DEFAULT_COLLECT_FRACTION, "chunked": False},
            )
        return self._types[name]

    def _period(self, name: str) -> RunPeriod:
        if name not in self._periods:
            self._periods[name], _ = RunPeriod.objects.get_or_create(experiment=self.experiment, name=name)
        return self._periods[name]

    def _run(self, number: int, period: str) -> Run:
        if number not in self._runs:
            if not self.create:
                raise imaging.ImageRejected(f"unknown run {number} (create it first, or allow creation)")
            run, _ = Run.objects.get_or_create(
                experiment=self.experiment, number=number, defaults={"run_period": self._period(period)}
            )
            self._runs[number] = run
            self._runs_by_id[run.pk] = run
        return self._runs[number]

    def _campaign(self, name: str) -> Campaign:
        if name not in self._campaigns:
            if not self.create:
                raise imaging.ImageRejected(f"unknown campaign {name!r} (create it first, or allow creation)")
            self._campaigns[name], _ = Campaign.objects.get_or_create(experiment=self.experiment, name=name)
        return self._campaigns[name]
