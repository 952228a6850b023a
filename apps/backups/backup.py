"""``manage.py backup DEST``: a snapshot of the database and the media files, written atomically."""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from django.core.files.storage import FileSystemStorage, default_storage
from django.db import DatabaseError, connections

from . import dump, files
from .layout import (
    DATABASE,
    FILES,
    FORMAT,
    MANIFEST,
    PARTIAL_PREFIX,
    SNAPSHOTS,
    VERSION,
    BackupError,
    complete_snapshots,
    write_json_atomic,
)


@dataclass
class Result:
    snapshot: Path
    manifest: dict
    seconds: float


def file_sha256(path: Path) -> str:
    with open(path, "rb") as fh:
        return files.sha256_of(fh)


def _prepare(dest: Path) -> Path:
    try:
        (dest / SNAPSHOTS).mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
        work = dest / SNAPSHOTS / f"{PARTIAL_PREFIX}{stamp}"
        work.mkdir()
        return work
    except OSError as exc:
        raise BackupError(f"cannot write the backup to {dest}: {exc.strerror or exc}") from None


def backup(dest: Path, alias: str = "default", log=lambda message: None) -> Result:
    """Write a new snapshot under ``dest``; the database dump and the file list come from the same moment."""
    started = time.perf_counter()
    dest = dest.resolve()
    media = default_storage.location if isinstance(default_storage, FileSystemStorage) else None
    if media and dest.is_relative_to(Path(media).resolve()):
        raise BackupError(f"{dest} is inside the media folder {media}; back up to a folder outside it")
    previous = complete_snapshots(dest) if dest.is_dir() else []
    work = _prepare(dest)
    try:
        # The file list is taken after the database snapshot opened: every file a dumped row
        # names was written before its row, so it is there to be copied.
        with dump.consistent_snapshot(alias):
            migrations = dump.applied_migrations(alias)
            with open(work / DATABASE, "wb") as fh:
                tables = dump.dump(fh, alias)
        log(f"database: {sum(tables.values())} rows in {len(tables)} tables")
        stats = files.copy_into(default_storage, dest, work / FILES, files.Previous(previous[-1] if previous else None))
        log(f"files: {stats.files} ({stats.copied} copied, {stats.files - stats.copied} already in the destination)")
        manifest = {
            "format": FORMAT,
            "version": VERSION,
            "created": datetime.now(UTC).isoformat(),
            "database": {
                "file": DATABASE,
                "sha256": file_sha256(work / DATABASE),
                "vendor": connections[alias].vendor,
                "tables": tables,
                "migrations": migrations,
            },
            "files": {
                "file": FILES,
                "sha256": file_sha256(work / FILES),
                "count": stats.files,
                "bytes": stats.bytes,
                "copied": stats.copied,
                "copied_bytes": stats.copied_bytes,
                "vanished": stats.vanished,
            },
        }
        # Objects and dump reach the disk before the manifest makes the snapshot complete.
        os.sync()
        write_json_atomic(work / MANIFEST, manifest)
        final = work.with_name(work.name.removeprefix(PARTIAL_PREFIX))
        os.replace(work, final)
    except OSError as exc:
        shutil.rmtree(work, ignore_errors=True)
        raise BackupError(f"cannot write the backup to {dest}: {exc.strerror or exc}") from None
    except DatabaseError as exc:
        shutil.rmtree(work, ignore_errors=True)
        raise BackupError(f"cannot read the database (is it migrated? `manage.py migrate`): {exc}") from None
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return Result(final, manifest, time.perf_counter() - started)
