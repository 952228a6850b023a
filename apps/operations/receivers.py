"""Keep stage timings and daily tallies as the pipeline announces its batches (cheap: a row per batch)."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import F
from django.dispatch import receiver
from django.utils import timezone

from apps.core.timing import STAGES, stage_timed
from apps.operations.models import DailyTally, StageTiming
from apps.plots.signals import plots_ingested

log = logging.getLogger(__name__)

# One batch in this many prunes the timings past their retention: no periodic job needed.
PRUNE_EVERY = 500


def tally(kind: str, count: int, when=None) -> None:
    """Add ``count`` to today's (or ``when``'s) tally of ``kind``: one UPDATE, an INSERT on the day's first."""
    if count <= 0:
        return
    day = timezone.localdate(when or timezone.now())
    if DailyTally.objects.filter(day=day, kind=kind).update(count=F("count") + count):
        return
    try:
        with transaction.atomic():
            DailyTally.objects.create(day=day, kind=kind, count=count)
    except IntegrityError:  # another process created the day's row meanwhile
        DailyTally.objects.filter(day=day, kind=kind).update(count=F("count") + count)


@receiver(stage_timed, dispatch_uid="operations-stage-timing")
def keep_stage_timing(sender, stage: str, seconds: float, count: int, **kwargs):
    if stage not in STAGES:
        log.warning("unknown stage %r timed", stage)
        return
    row = StageTiming.objects.create(stage=stage, at=timezone.now(), seconds=seconds, count=count)
    if stage == "classification":
        tally(DailyTally.Kind.CLASSIFIED, count)
    if row.pk and row.pk % PRUNE_EVERY == 0:
        cutoff = timezone.now() - timedelta(days=StageTiming.RETENTION_DAYS)
        StageTiming.objects.filter(at__lt=cutoff).delete()


@receiver(plots_ingested, dispatch_uid="operations-ingest-tally")
def count_ingested(sender, plots, **kwargs):
    # Sent inside the plots' transaction: counted once it commits, so that concurrent ingests do not
    # wait on the day's tally row for the length of each other's transactions.
    count = len(plots)
    transaction.on_commit(lambda: tally(DailyTally.Kind.INGESTED, count))
