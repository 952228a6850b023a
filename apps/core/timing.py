"""Stage timings: how long each step of the pipeline took, announced for whoever keeps them.

The pipeline (ingest, classification, GradCAM, push) lives in lower apps, the status page and the
metrics in a higher one, so the lower apps only send ``stage_timed`` and never import the keeper.
One signal per batch, not per image: ``seconds`` is the batch's time, ``count`` the images in it.
"""

from __future__ import annotations

import time
from contextlib import contextmanager

from django.dispatch import Signal

STAGES = ("ingest", "queue", "classification", "gradcam", "push")

# Sent with stage=str (one of STAGES), seconds=float (the whole batch), count=int (items in it).
stage_timed = Signal()


def record(stage: str, seconds: float, count: int = 1) -> None:
    """Announce that ``count`` items went through ``stage`` in ``seconds``. Never raises."""
    if count <= 0:
        return
    stage_timed.send_robust(sender=None, stage=stage, seconds=max(0.0, seconds), count=count)


@contextmanager
def timed(stage: str, count: int = 1):
    """Time the block and ``record`` it when it succeeds (a failed batch is the job's failure, not a timing)."""
    started = time.perf_counter()
    yield
    record(stage, time.perf_counter() - started, count)
