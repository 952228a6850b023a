"""Media files (plot images, thumbnails, heat maps, model files) through Django's storage API.

The default storage is the local filesystem under MEDIA_ROOT, written as before (temporary file,
then rename). With ``HYDRA_STORAGE=s3`` the same names live in an S3-compatible bucket that web and
worker machines share; one PUT makes an object visible only once it is complete, so no reader ever
sees half an image. Names are paths relative to the storage root, as stored in the database.

TensorFlow and the image loaders of ``ml/`` read real files. ``local_path`` hands them one: the file
itself on the filesystem, or a copy in STORAGE_CACHE_DIR fetched once from object storage and keyed
by its content hash, so a cached copy is never stale.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, Storage, storages


def storage() -> Storage:
    return storages["default"]


def local_root() -> Path | None:
    """The folder files live in when the storage is the local filesystem; None for object storage."""
    store = storage()
    return Path(store.location) if isinstance(store, FileSystemStorage) else None


def describe() -> str:
    """Where files go, in words (health check, logs)."""
    root = local_root()
    if root is not None:
        return str(root)
    store = storage()
    bucket = getattr(store, "bucket_name", "?")
    endpoint = getattr(store, "endpoint_url", None) or "AWS"
    return f"bucket {bucket} at {endpoint}"


def _write_local(target: Path, data: bytes, overwrite: bool) -> bool:
    if not overwrite and target.exists():
        return False
    try:
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
    except FileNotFoundError:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return True


def _save_remote(name: str, content: File) -> None:
    saved = storage().save(name, content)
    if saved != name:
        # A storage that renames on a clash would leave the database pointing at the wrong object.
        storage().delete(saved)
        raise OSError(f"the storage stored {name} as {saved}; set it to overwrite (file_overwrite)")


def put(name: str, data: bytes, *, overwrite: bool = False) -> bool:
    """Store ``data`` as ``name`` unless it is already there (or ``overwrite``); True when written."""
    root = local_root()
    if root is not None:
        return _write_local(root / name, data, overwrite)
    if not overwrite and storage().exists(name):
        return False
    _save_remote(name, ContentFile(data))
    return True


def put_file(name: str, path: str | os.PathLike) -> None:
    """Store the local file ``path`` as ``name`` (replacing it); nothing to do when it already is that file."""
    root = local_root()
    if root is not None:
        target = root / name
        if Path(path).resolve() != target.resolve():
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
            os.close(fd)
            try:
                shutil.copyfile(path, tmp)
                os.replace(tmp, target)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        return
    with open(path, "rb") as fh:
        _save_remote(name, File(fh, name=os.path.basename(name)))


def read(name: str) -> bytes:
    with storage().open(name, "rb") as fh:
        return fh.read()


def exists(name: str) -> bool:
    return bool(name) and storage().exists(name)


def delete(names: Iterable[str]) -> None:
    """Delete files; missing ones are fine."""
    store = storage()
    for name in names:
        if name:
            try:
                store.delete(name)
            except FileNotFoundError:
                pass


def _cache_dir(kind: str) -> Path:
    folder = Path(settings.STORAGE_CACHE_DIR) / kind
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _fetch(name: str, target: Path, sha256: str | None = None) -> Path:
    """Copy stored ``name`` to ``target`` atomically, checking its hash when one is given."""
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
    digest = hashlib.sha256()
    try:
        with os.fdopen(fd, "wb") as out, storage().open(name, "rb") as src:
            for block in iter(lambda: src.read(1 << 20), b""):
                digest.update(block)
                out.write(block)
        if sha256 and digest.hexdigest() != sha256:
            raise OSError(f"{name}: stored bytes do not match their hash {sha256[:12]}")
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def local_path(name: str, sha256: str | None = None) -> Path:
    """A local file with the content of stored ``name``.

    On the filesystem that is the file itself. On object storage it is a cached copy keyed by
    ``sha256`` (the content hash, checked on download) or, for names that carry their hash already
    (plots/, thumbs/), by the name.
    """
    root = local_root()
    if root is not None:
        return root / name
    suffix = Path(name).suffix
    if sha256:
        target = _cache_dir("by-hash") / sha256[:2] / f"{sha256}{suffix}"
    else:
        target = _cache_dir("by-name") / name
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    return _fetch(name, target, sha256)


def local_paths(names: list[str], sha256s: list[str] | None = None) -> list[str]:
    """``local_path`` of many names (plot images for a batch); on the filesystem no file is touched."""
    hashes = sha256s or [None] * len(names)
    return [str(local_path(n, h)) for n, h in zip(names, hashes, strict=True)]


# -- model files: a .keras file and its JSON sidecar (ml.model_files) ------------------------------


def _sidecar(name: str) -> str:
    return str(Path(name).with_suffix(".json"))


def save_model(write, name: str) -> None:
    """Write a model file and its sidecar with ``write(local_path)`` and store both under ``name``.

    On object storage the model goes up first and its sidecar (which names the model's hash) second,
    as on disk: a reader never finds a sidecar vouching for a model that is not there.
    """
    root = local_root()
    if root is not None:
        write(root / name)
        return
    with tempfile.TemporaryDirectory(dir=_cache_dir("staging")) as folder:
        local = Path(folder) / Path(name).name
        write(local)
        put_file(name, local)
        put_file(_sidecar(name), _sidecar(str(local)))
        _keep_in_cache(local)


def _keep_in_cache(local: Path) -> None:
    """Move a model just written into the cache, so this worker does not download it again."""
    try:
        digest = json.loads(Path(_sidecar(str(local))).read_text())["sha256"]
    except (OSError, ValueError, KeyError):
        return
    target = _cache_dir("models") / f"{digest}{local.suffix}"
    if not target.exists():
        os.replace(_sidecar(str(local)), _sidecar(str(target)))
        os.replace(local, target)


def local_model(name: str) -> Path:
    """A local path of model file ``name`` with its sidecar beside it, for ``ml.model_files.load``.

    On object storage the sidecar is read first; the model it names is fetched once per content hash.
    A sidecar that cannot be read leaves a path without one, so loading fails with the usual message.
    """
    root = local_root()
    if root is not None:
        return root / name
    try:
        side = read(_sidecar(name))
        digest = json.loads(side)["sha256"]
    except (OSError, ValueError, KeyError):
        missing = _cache_dir("models") / "missing" / Path(name).name
        missing.parent.mkdir(parents=True, exist_ok=True)
        return missing
    folder = _cache_dir("models")
    target = folder / f"{digest}{Path(name).suffix}"
    if not target.exists():
        _fetch(name, target)
    _write_local(Path(_sidecar(str(target))), side, overwrite=True)
    return target


def delete_model(name: str) -> None:
    delete([name, _sidecar(name)])


# -- working copies: files written by libraries at a path, then stored (validation models, histograms) --


def mirror(name: str) -> Path:
    """A local working path for ``name`` on object storage, fetched (with its .json sidecar) when stored.

    For files that libraries write and read by path under names that are never reused (time-stamped
    model files, histograms named by their plot's hash). After writing one, call ``publish``.
    """
    target = _cache_dir("mirror") / name
    if not name or target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    if storage().exists(name):
        _fetch(name, target)
        side = _sidecar(name)
        if side != name and storage().exists(side):
            _fetch(side, Path(_sidecar(str(target))))
    return target


def publish(name: str) -> None:
    """Store the working copy of ``name`` (and its sidecar, after it); nothing to do on the filesystem."""
    if local_root() is not None:
        return
    local = _cache_dir("mirror") / name
    put_file(name, local)
    side = Path(_sidecar(str(local)))
    if local.suffix != ".json" and side.exists():
        put_file(_sidecar(name), side)
