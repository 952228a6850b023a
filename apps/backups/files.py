"""Media files: listed and read through Django's storage, kept in the destination by hash.

Files are read with ``default_storage`` (open, listdir, size, modified time), so that a
deployment keeping its media in object storage is backed up the same way; on the local
filesystem one ``scandir`` per folder gives sizes and times without extra calls.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from django.core.files.storage import FileSystemStorage

from .layout import OBJECTS, BackupError, object_path

CHUNK = 1 << 20


@dataclass
class Entry:
    path: str
    size: int
    mtime: float
    sha256: str = ""


def _skipped(name: str) -> bool:
    # Temporary files of writers in progress (".tmp-…") and other hidden files are not media.
    return name.startswith(".")


def walk(storage) -> Iterator[Entry]:
    """Every media file with its size and modification time, in a stable order."""
    if isinstance(storage, FileSystemStorage):
        yield from _walk_local(Path(storage.location), "")
        return
    yield from _walk_storage(storage, "")


def _walk_local(root: Path, rel: str) -> Iterator[Entry]:
    try:
        items = sorted(os.scandir(root / rel if rel else root), key=lambda e: e.name)
    except FileNotFoundError:
        return
    for item in items:
        if _skipped(item.name):
            continue
        name = f"{rel}/{item.name}" if rel else item.name
        if item.is_dir(follow_symlinks=False):
            yield from _walk_local(root, name)
        elif item.is_file():
            st = item.stat()
            yield Entry(name, st.st_size, st.st_mtime)


def _walk_storage(storage, rel: str) -> Iterator[Entry]:
    try:
        dirs, files = storage.listdir(rel)
    except FileNotFoundError:
        return
    # Folders and files in one name order, as the local walk gives them (see Previous).
    items = sorted([(name, True) for name in dirs] + [(name, False) for name in files])
    for name, is_dir in items:
        if _skipped(name):
            continue
        path = f"{rel}/{name}" if rel else name
        if is_dir:
            yield from _walk_storage(storage, path)
        else:
            yield Entry(path, storage.size(path), storage.get_modified_time(path).timestamp())


def sha256_of(fh) -> str:
    digest = hashlib.sha256()
    while chunk := fh.read(CHUNK):
        digest.update(chunk)
    return digest.hexdigest()


def read_list(path: Path) -> Iterator[Entry]:
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        for line in lines:
            item = json.loads(line)
            yield Entry(item["path"], item["size"], item["mtime"], item["sha256"])


def _order(path: str) -> list[str]:
    return path.split("/")


class Previous:
    """The file list of the last backup, read alongside the walk of the media files.

    Both come in the same order (depth first, names sorted at each level), so one pass over the
    old list finds each file's previous entry without holding millions of them in memory.
    """

    def __init__(self, snapshot: Path | None):
        self._entries = self._read(snapshot / "files.jsonl.gz") if snapshot else iter(())
        self._current = next(self._entries, None)

    @staticmethod
    def _read(path: Path) -> Iterator[Entry]:
        try:
            yield from read_list(path)
        except (OSError, ValueError, KeyError, EOFError):
            return  # an unreadable old list only means every file is read again

    def lookup(self, path: str) -> Entry | None:
        key = _order(path)
        while self._current is not None and _order(self._current.path) < key:
            self._current = next(self._entries, None)
        if self._current is not None and self._current.path == path:
            return self._current
        return None


@dataclass
class CopyStats:
    files: int = 0
    bytes: int = 0
    copied: int = 0
    copied_bytes: int = 0
    vanished: int = 0


def copy_into(storage, dest: Path, out_list, previous: Previous) -> CopyStats:
    """Copy the media files DEST lacks into DEST/objects and write the file list to ``out_list``.

    A file whose path, size and time match the last backup keeps its hash without being read;
    any other file is read once, hashed while it is written to a temporary object, and kept
    only when DEST does not hold that hash yet.
    """
    stats = CopyStats()
    tmp_dir = dest / OBJECTS / ".incoming"
    tmp_dir.mkdir(parents=True, exist_ok=True)
    with gzip.open(out_list, "wt", encoding="utf-8", compresslevel=5) as out:
        for entry in walk(storage):
            known = previous.lookup(entry.path)
            if (
                known
                and (known.size, known.mtime) == (entry.size, entry.mtime)
                and object_path(dest, known.sha256).is_file()
            ):
                entry.sha256 = known.sha256
            else:
                try:
                    entry.sha256, size = _store_object(storage, entry.path, dest, tmp_dir, stats)
                except FileNotFoundError:
                    # Deleted since it was listed (a plot removed during the backup).
                    stats.vanished += 1
                    continue
                entry.size = size
            stats.files += 1
            stats.bytes += entry.size
            line = {"path": entry.path, "sha256": entry.sha256, "size": entry.size, "mtime": entry.mtime}
            out.write(json.dumps(line, separators=(",", ":"), ensure_ascii=False) + "\n")
    return stats


def _store_object(storage, path: str, dest: Path, tmp_dir: Path, stats: CopyStats) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    fd, tmp = tempfile.mkstemp(dir=tmp_dir)
    try:
        with os.fdopen(fd, "wb") as out, storage.open(path, "rb") as src:
            while chunk := src.read(CHUNK):
                digest.update(chunk)
                out.write(chunk)
                size += len(chunk)
        sha = digest.hexdigest()
        target = object_path(dest, sha)
        if target.is_file():
            os.unlink(tmp)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp, target)
            stats.copied += 1
            stats.copied_bytes += size
        return sha, size
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def verify(src_root: Path, list_path: Path, progress=None) -> tuple[int, int]:
    """Check every file of a backup against its hash; (files, bytes) or a BackupError naming the first bad one."""
    files = total = 0
    for entry in read_list(list_path):
        blob = object_path(src_root, entry.sha256)
        try:
            with open(blob, "rb") as fh:
                actual = sha256_of(fh)
        except FileNotFoundError:
            raise BackupError(f"the backup lacks {entry.path} (object {blob} is missing)") from None
        if actual != entry.sha256:
            raise BackupError(
                f"the backup's copy of {entry.path} is corrupt: object {blob} has sha256 {actual}, "
                f"the manifest says {entry.sha256}"
            )
        files += 1
        total += entry.size
        if progress and files % 10000 == 0:
            progress(files)
    return files, total


def restore_into(storage, src_root: Path, list_path: Path) -> int:
    """Put every file of the backup into the storage at its path; files already there with the same hash stay."""
    written = 0
    for entry in read_list(list_path):
        if storage.exists(entry.path):
            with storage.open(entry.path, "rb") as fh:
                if sha256_of(fh) == entry.sha256:
                    continue
            storage.delete(entry.path)
        with open(object_path(src_root, entry.sha256), "rb") as fh:
            saved = storage.save(entry.path, fh)
        if saved != entry.path:
            storage.delete(saved)
            raise BackupError(f"the media storage put {entry.path} at {saved}; it was not restored")
        written += 1
    return written
