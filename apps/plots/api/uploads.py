"""Uploads through the API: size checks before reading, file names to plot slots, zip archives.

Everything that can refuse a whole request (too large, too many members, not a zip) is
checked before a single image is ingested, so a refused request stores nothing. Files that
are refused one by one are reported and leave no row and no file behind (the Ingestor's
guarantee).
"""

from __future__ import annotations

import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.conf import settings
from rest_framework import status

from apps.core.api.exceptions import ApiError, PayloadTooLarge
from apps.core.api.filters import MAX_INT
from apps.plots.ingest import SLOT_TAKEN, Ingestor, Outcome, Source
from apps.plots.layout import IMAGE_SUFFIXES, PlotRef, compile_layout

# Room for the multipart boundaries and the form fields around one image.
MULTIPART_SLACK = 64 * 1024

_HYDRA = compile_layout(None)
_NAME_TAIL = r"(?P<plot_type>[^/]+?)(?:_(?P<chunk>\d{4}))?\.(?i:png|jpe?g|gif|webp)$"
_RUN_DIR = re.compile(r"(?:^|/)Run(?P<run>\d+)/" + _NAME_TAIL)
_BARE = re.compile(r"(?:^|/)" + _NAME_TAIL)


def check_content_length(request, limit: int) -> None:
    """Refuse with 413 from the Content-Length header alone, before the body is read."""
    raw = request.META.get("CONTENT_LENGTH") or ""
    try:
        length = int(raw)
    except ValueError:
        return
    if length > limit:
        raise PayloadTooLarge(
            f"the request is {length:,} bytes, over the limit of {limit:,}",
            {"content_length": length, "limit": limit},
        )


def status_for(reason: str) -> tuple[int, str]:
    """The HTTP status and error code for an Ingestor rejection reason."""
    if reason.startswith("unknown "):
        what = reason.split(" ", 2)[1]
        what = "plot_type" if what == "plot" else what
        return status.HTTP_400_BAD_REQUEST, f"unknown_{what}"
    if reason.startswith(SLOT_TAKEN):
        return status.HTTP_409_CONFLICT, "slot_taken"
    if reason.startswith("image is") and "pixels, over the limit" in reason or "too large to decode" in reason:
        # The bytes may be few (a huge blank PNG compresses well): the image, not the request, is refused.
        return status.HTTP_415_UNSUPPORTED_MEDIA_TYPE, "too_many_pixels"
    if "over the limit" in reason:
        return status.HTTP_413_REQUEST_ENTITY_TOO_LARGE, "too_large"
    if reason.startswith("cannot store"):
        return status.HTTP_500_INTERNAL_SERVER_ERROR, "storage_failed"
    return status.HTTP_415_UNSUPPORTED_MEDIA_TYPE, "not_an_image"


def parse_name(name: str, run: int | None, run_period: str) -> PlotRef | str:
    """The slot a file name fills, or the reason it fills none.

    Accepts Hydra's ``RunPeriod-X/RunNNNNNN/PlotType_NNNN.png``, ``RunNNNNNN/PlotType.png``
    (period from the form) and a bare ``PlotType_NNNN.png`` (run and period from the form).
    """
    path = name.replace("\\", "/")
    ref = None
    match = _HYDRA.search(path)
    if match:
        groups = match.groupdict()
        ref = (groups["plot_type"], groups["run"], groups["run_period"], groups.get("chunk"))
    elif match := _RUN_DIR.search(path):
        ref = (match["plot_type"], match["run"], run_period, match["chunk"])
    elif match := _BARE.search(path):
        if run is None:
            return "no RunNNNNNN folder in the name and no run given"
        ref = (match["plot_type"], str(run), run_period, match["chunk"])
    if ref is None:
        return "name does not match RunPeriod-X/RunNNNNNN/PlotType_NNNN.png or PlotType_NNNN.png"
    plot_type, run_text, period, chunk = ref
    plot_type, period = plot_type.strip(), (period or "default").strip()
    number = int(run_text)
    if number > MAX_INT:
        return f"run number {number} is out of range"
    if not plot_type or len(plot_type) > 200:
        return "plot type name must have 1 to 200 characters"
    if len(period) > 100:
        return "run period name must have at most 100 characters"
    return PlotRef(plot_type=plot_type, run=number, run_period=period, chunk=int(chunk or 0), campaign=None)


@dataclass
class BulkUpload:
    """Collects the files of one bulk request and ingests them, keeping results in the order sent."""

    experiment: object
    campaign: str
    create: bool
    run: int | None = None
    run_period: str = "default"
    training_weight: int = 1
    results: list[Outcome | None] = field(default_factory=list)
    _positions: list[int] = field(default_factory=list)
    _archive: zipfile.ZipFile | None = None
    _members: list[zipfile.ZipInfo] = field(default_factory=list)
    _files: list[tuple[str, object]] = field(default_factory=list)

    def add_files(self, files, paths: list[str] | None) -> None:
        for i, upload in enumerate(files):
            self._files.append((paths[i] if paths else upload.name or f"file {i + 1}", upload))

    def open_archive(self, upload) -> None:
        """Open a zip and refuse it whole when it is not a zip or would unpack too large."""
        try:
            archive = zipfile.ZipFile(upload)
            members = [m for m in archive.infolist() if not m.is_dir() and not _hidden(m.filename)]
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError) as exc:
            raise ApiError(
                status.HTTP_415_UNSUPPORTED_MEDIA_TYPE, "bad_archive", f"the archive is not a readable zip: {exc}"
            ) from None
        if len(members) > settings.MAX_ARCHIVE_MEMBERS:
            raise PayloadTooLarge(
                f"the archive has {len(members):,} files, over the limit of {settings.MAX_ARCHIVE_MEMBERS:,}",
                {"members": len(members), "limit": settings.MAX_ARCHIVE_MEMBERS},
            )
        total = sum(m.file_size for m in members)
        if total > settings.MAX_ARCHIVE_BYTES:
            raise PayloadTooLarge(
                f"the archive unpacks to {total:,} bytes, over the limit of {settings.MAX_ARCHIVE_BYTES:,}",
                {"uncompressed_bytes": total, "limit": settings.MAX_ARCHIVE_BYTES},
            )
        self._archive, self._members = archive, members

    def _reject(self, name: str, reason: str) -> None:
        self.results.append(Outcome(name, "rejected", reason=reason))

    def _source(self, name: str, read) -> Source | None:
        """A Source for one file, or None after recording why it was refused."""
        ref = parse_name(name, self.run, self.run_period)
        if isinstance(ref, str):
            self._reject(name, ref)
            return None
        try:
            data = read()
        except ApiError as exc:
            self._reject(name, exc.message)
            return None
        self._positions.append(len(self.results))
        self.results.append(None)
        return Source(name=name[:500], ref=ref, data=data)

    def _sources(self) -> Iterator[Source]:
        limit = settings.MAX_IMAGE_BYTES
        for name, upload in self._files:
            source = self._source(name, lambda u=upload: _read_upload(u, limit))
            if source is not None:
                yield source
        for member in self._members:
            if _escapes(member.filename):
                # Nothing is ever unpacked to disk, but such a name is refused all the same, and said so.
                self._reject(member.filename, "the path leaves the archive ('..' or an absolute path)")
                continue
            if not member.filename.lower().endswith(IMAGE_SUFFIXES):
                self._reject(member.filename, "not an image file name (.png, .jpg, .gif, .webp)")
                continue
            source = self._source(member.filename, lambda m=member: _read_member(self._archive, m, limit))
            if source is not None:
                yield source

    def ingest(self) -> list[Outcome]:
        # No process pool inside a web worker: concurrency comes from concurrent requests.
        with Ingestor(
            self.experiment,
            campaign=self.campaign,
            create=self.create,
            workers=1,
            batch_size=100,
            training_weight=self.training_weight,
        ) as ing:
            report = ing.ingest(self._sources())
        for position, outcome in zip(self._positions, report.outcomes, strict=True):
            self.results[position] = outcome
        return self.results


def _escapes(name: str) -> bool:
    parts = name.replace("\\", "/").split("/")
    return name.startswith(("/", "\\")) or ".." in parts


def _hidden(name: str) -> bool:
    if _escapes(name):
        return False  # not skipped silently: rejected with a reason
    return name.startswith("__MACOSX/") or any(part.startswith(".") for part in name.split("/") if part)


def _too_large(size: int, limit: int) -> ApiError:
    return PayloadTooLarge(f"file is {size:,} bytes, over the limit of {limit:,}")


def _read_upload(upload, limit: int) -> bytes:
    if upload.size is not None and upload.size > limit:
        raise _too_large(upload.size, limit)
    return upload.read()


def _read_member(archive: zipfile.ZipFile, member: zipfile.ZipInfo, limit: int) -> bytes:
    if member.file_size > limit:
        raise _too_large(member.file_size, limit)
    try:
        with archive.open(member) as fh:
            # The header's size bounds what zipfile yields; reading one byte more catches a lying header.
            data = fh.read(limit + 1)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError, ValueError) as exc:
        raise ApiError(400, "bad_member", f"cannot read it from the archive: {exc}") from None
    if len(data) > limit:
        raise _too_large(len(data), limit)
    return data
