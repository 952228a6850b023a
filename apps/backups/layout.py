"""Where a backup keeps what, and how a restore finds a complete one.

A backup destination holds two things:

    DEST/objects/ab/cd/<sha256>         every media file once, named by its content hash
    DEST/snapshots/<UTC time>/          one complete backup each:
        database.jsonl.gz               every table, one JSON line per row
        files.jsonl.gz                  one line per media file: path, sha256, size, mtime
        manifest.json                   format version, hashes of the two files above, counts

A snapshot is written under a dot-name and renamed once its manifest is in place, so a
half-written backup is never listed. Objects are shared between snapshots: a second backup
copies only the files whose hash DEST does not hold yet.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from django.core.management.base import CommandError

FORMAT = "hydra-backup"
VERSION = 1
MANIFEST = "manifest.json"
DATABASE = "database.jsonl.gz"
FILES = "files.jsonl.gz"
OBJECTS = "objects"
SNAPSHOTS = "snapshots"
PARTIAL_PREFIX = ".partial-"


class BackupError(CommandError):
    """A problem the person running backup or restore can act on; shown as one line, no traceback."""


def object_path(root: Path, sha256: str) -> Path:
    return root / OBJECTS / sha256[:2] / sha256[2:4] / sha256


def complete_snapshots(dest: Path) -> list[Path]:
    """Snapshots with a manifest, oldest first (their names are UTC times)."""
    folder = dest / SNAPSHOTS
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if not p.name.startswith(".") and (p / MANIFEST).is_file())


def locate(src: Path) -> tuple[Path, Path]:
    """The snapshot folder and the destination root of SRC (a destination: its newest snapshot)."""
    if not src.exists():
        raise BackupError(f"{src} does not exist")
    if not src.is_dir():
        raise BackupError(f"{src} is not a folder; give a backup destination or one of its snapshots")
    if (src / MANIFEST).is_file():
        return src, src.parent.parent
    snapshots = complete_snapshots(src)
    if not snapshots:
        raise BackupError(f"{src} holds no complete backup (no {SNAPSHOTS}/<time>/{MANIFEST})")
    return snapshots[-1], src


def read_manifest(snapshot: Path) -> dict:
    try:
        manifest = json.loads((snapshot / MANIFEST).read_text())
    except (OSError, ValueError) as exc:
        raise BackupError(f"{snapshot / MANIFEST} cannot be read: {exc}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{snapshot / MANIFEST} is not a Hydra backup manifest")
    if manifest.get("version") != VERSION:
        raise BackupError(
            f"{snapshot} is a backup of format version {manifest.get('version')}; this portal reads version {VERSION}"
        )
    return manifest


def write_json_atomic(path: Path, data: dict) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w") as fh:
        json.dump(data, fh, indent=1, sort_keys=True)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
