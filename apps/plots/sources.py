"""What an ingest works on and reports: candidate files (from a tree, one path or bytes) and their outcomes.

Kept apart from ``apps.plots.ingest`` (which stores and inserts) so that either stays readable alone.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.conf import settings

from apps.plots import imaging
from apps.plots.layout import IMAGE_SUFFIXES, PlotRef, parse
from apps.plots.models import Plot


@dataclass
class Source:
    """One candidate image: a display name, the slot it fills, and its bytes or path."""

    name: str
    ref: PlotRef
    path: str | None = None
    data: bytes | None = None

    def read(self, max_bytes: int) -> bytes:
        if self.data is not None:
            if len(self.data) > max_bytes:
                raise imaging.ImageRejected(f"file is {len(self.data):,} bytes, over the limit of {max_bytes:,}")
            return self.data
        size = os.path.getsize(self.path)
        if size > max_bytes:
            raise imaging.ImageRejected(f"file is {size:,} bytes, over the limit of {max_bytes:,}")
        with open(self.path, "rb") as fh:
            return fh.read()


@dataclass
class Outcome:
    name: str
    status: str  # "new", "duplicate" or "rejected"
    plot: Plot | None = None
    reason: str = ""
    held_sha256: str = ""  # for a slot taken by a different image: the sha256 of the image it holds


SLOT_TAKEN = "this plot slot already holds a different image"


def slot_taken(name: str, held_sha256: str) -> Outcome:
    return Outcome(name, "rejected", reason=f"{SLOT_TAKEN} (sha256 {held_sha256})", held_sha256=held_sha256)


@dataclass
class IngestReport:
    outcomes: list[Outcome] = field(default_factory=list)
    seconds: float = 0.0
    # Files left out because the database went away mid-ingest (nothing of them is stored), and why.
    unfinished: list[str] = field(default_factory=list)
    error: str = ""

    @property
    def interrupted(self) -> bool:
        return bool(self.error)

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def rejected(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == "rejected"]

    def summary(self) -> str:
        new = self.count("new")
        rate = new / self.seconds if self.seconds > 0 else 0.0
        line = (
            f"ingested {new} new, {self.count('duplicate')} duplicate, {self.count('rejected')} rejected "
            f"in {self.seconds:.1f} s ({rate:.0f} plots/s)"
        )
        if self.interrupted:
            line += f"; {len(self.unfinished)} not ingested: {self.error}"
        return line


def limits() -> imaging.Limits:
    return imaging.Limits(
        max_bytes=settings.MAX_IMAGE_BYTES,
        max_pixels=settings.MAX_IMAGE_PIXELS,
        thumbnail_width=settings.THUMBNAIL_WIDTH,
    )


def crawl(root: str, regex, default_period: str = "default") -> Iterator[Source | Outcome]:
    """Walk ``root`` in a stable order: a Source per matching file, an Outcome for image files that do not match."""
    for folder, dirs, files in os.walk(root):
        dirs.sort()
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in sorted(files):
            if name.startswith("."):
                continue
            path = os.path.join(folder, name)
            rel = os.path.relpath(path, root)
            ref = parse(rel, regex, default_period)
            if ref is not None:
                yield Source(name=rel, ref=ref, path=path)
            elif name.lower().endswith(IMAGE_SUFFIXES):
                yield Outcome(rel, "rejected", reason="path does not match the layout pattern")


def locate(path: str, regex, default_period: str = "default") -> Source | Outcome:
    """A Source for one file given by itself: the layout is matched against the shortest tail of its path that fits."""
    parts = os.path.abspath(path).replace(os.sep, "/").split("/")
    for start in range(len(parts) - 1, 0, -1):
        rel = "/".join(parts[start:])
        ref = parse(rel, regex, default_period)
        if ref is not None:
            return Source(name=rel, ref=ref, path=path)
    return Outcome(path, "rejected", reason="path does not match the layout pattern")
