"""Write checked images and thumbnails to the media storage for the ingest, in bulk.

On the local filesystem the process pool checks, thumbnails and writes each image itself
(``imaging.store_or_reason``), as it always has. On object storage the pool checks and
thumbnails (``imaging.prepare_or_reason``) and threads upload: the pool's processes do not
start Django, and uploads wait on the network rather than the CPU.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from apps.core import files
from apps.plots import imaging

UPLOAD_THREADS = 8


def store_all(items: list[tuple[bytes, str]], limits: imaging.Limits, pool=None) -> list[imaging.StoredImage | str]:
    """Store each ``(data, sha256)``; a StoredImage, or the reason the image was rejected."""
    root = files.local_root()
    if root is not None:
        if pool is not None:
            futures = [pool.submit(imaging.store_or_reason, d, limits, str(root), h) for d, h in items]
            return [f.result() for f in futures]
        return [imaging.store_or_reason(d, limits, str(root), h) for d, h in items]
    if pool is not None:
        prepared = [f.result() for f in [pool.submit(imaging.prepare_or_reason, d, limits, h) for d, h in items]]
    else:
        prepared = [imaging.prepare_or_reason(d, limits, h) for d, h in items]
    work = [(p, data) for p, (data, _) in zip(prepared, items, strict=True) if not isinstance(p, str)]
    with ThreadPoolExecutor(min(UPLOAD_THREADS, max(1, len(work)))) as threads:
        uploaded = dict(zip([id(p) for p, _ in work], threads.map(_upload, work), strict=True))
    return [p if isinstance(p, str) else uploaded[id(p)] for p in prepared]


def _upload(item: tuple[imaging.Prepared, bytes]) -> imaging.StoredImage | str:
    prepared, data = item
    created: list[str] = []
    try:
        if files.put(prepared.thumbnail, prepared.thumbnail_bytes):
            created.append(prepared.thumbnail)
        if files.put(prepared.image, data):
            created.append(prepared.image)
    except Exception as exc:  # the bucket refused or is unreachable: this image is not stored
        files.delete(created)
        return f"cannot store: {exc}"
    return imaging.StoredImage(
        prepared.sha256,
        prepared.image,
        prepared.thumbnail,
        prepared.size_bytes,
        prepared.width,
        prepared.height,
        tuple(created),
    )


def remove(names) -> None:
    """Delete stored files (a failed batch's); missing ones are fine."""
    files.delete(list(names))
