"""``manage.py restore SRC``: check a backup completely, then put its files and rows in place."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from django.contrib.contenttypes.models import ContentType
from django.core.files.storage import default_storage
from django.db import DatabaseError, IntegrityError

from . import dump, files
from .backup import file_sha256
from .layout import BackupError, locate, read_manifest


@dataclass
class Result:
    snapshot: Path
    tables: dict[str, int]
    files: int
    bytes: int
    written: int
    seconds: float


def _check_part(snapshot: Path, part: dict, what: str) -> Path:
    path = snapshot / part["file"]
    if not path.is_file():
        raise BackupError(f"the backup lacks its {what} ({path})")
    if file_sha256(path) != part["sha256"]:
        raise BackupError(f"the backup's {what} ({path}) is corrupt: its sha256 differs from the manifest's")
    return path


def _check_migrations(manifest: dict, alias: str) -> None:
    here = dump.applied_migrations(alias)
    if not here:
        raise BackupError("the database has no tables yet: run `manage.py migrate` first, then restore")
    there = manifest["database"]["migrations"]
    if here != there:
        apps = sorted(a for a in set(here) | set(there) if here.get(a) != there.get(a))
        raise BackupError(
            "the backup was taken at another version of the portal: the migrations of "
            f"{', '.join(apps)} differ. Restore with the version that wrote it, then upgrade."
        )


def _holds_plots(alias: str) -> bool:
    from apps.plots.models import Plot

    return Plot.objects.using(alias).exists()


def restore(src: Path, alias: str = "default", force: bool = False, log=lambda message: None) -> Result:
    started = time.perf_counter()
    snapshot, root = locate(src.resolve())
    manifest = read_manifest(snapshot)
    try:
        database = _check_part(snapshot, manifest["database"], "database dump")
        file_list = _check_part(snapshot, manifest["files"], "file list")
    except KeyError as exc:
        raise BackupError(f"{snapshot} has an incomplete manifest (no {exc})") from None
    _check_migrations(manifest, alias)
    if not force and _holds_plots(alias):
        raise BackupError(
            "the database already holds plots; a restore replaces everything in it. "
            "Restore into an empty installation, or pass --force to replace its contents."
        )
    log(f"checking {manifest['files']['count']} files of {snapshot}")
    count, size = files.verify(root, file_list, progress=lambda n: log(f"  {n} files checked"))
    # Files first: if they cannot all be written the database is untouched; then the rows in
    # one transaction, so a failure leaves the database as it was.
    written = files.restore_into(default_storage, root, file_list)
    log(f"files: {written} written, {count - written} already in place")
    try:
        with open(database, "rb") as fh:
            tables = dump.load(fh, alias)
    except IntegrityError as exc:
        raise BackupError(f"the backup's rows do not fit together (foreign key check): {exc}") from None
    except DatabaseError as exc:
        raise BackupError(f"the database refused the backup's rows: {exc}") from None
    # Content types are cached by id; the restored table may number them differently.
    ContentType.objects.clear_cache()
    return Result(snapshot, tables, count, size, written, time.perf_counter() - started)
