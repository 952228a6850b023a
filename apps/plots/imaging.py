"""Image checks and thumbnails, run in ingest worker processes.

Imports nothing from Django so a spawned worker process starts fast. Files are written
under the media root by content hash, atomically (temporary name, then rename), so a
crash never leaves a half-written image under its final name.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
import warnings
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

EXTENSIONS = {"PNG": "png", "JPEG": "jpg", "GIF": "gif", "WEBP": "webp"}


class ImageRejected(ValueError):
    """The bytes are not an image we accept; the message says why."""


@dataclass(frozen=True)
class Limits:
    max_bytes: int
    max_pixels: int
    thumbnail_width: int
    formats: tuple[str, ...] = tuple(EXTENSIONS)


@dataclass(frozen=True)
class StoredImage:
    sha256: str
    image: str
    thumbnail: str
    size_bytes: int
    width: int
    height: int
    # Paths this call wrote (not already on disk): removed again if the database insert fails.
    created: tuple[str, ...]


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def decode(data: bytes, limits: Limits) -> tuple[str, Image.Image]:
    """Check ``data`` and return (format, fully decoded image); ImageRejected says what is wrong."""
    if not data:
        raise ImageRejected("empty file")
    if len(data) > limits.max_bytes:
        raise ImageRejected(f"file is {len(data):,} bytes, over the limit of {limits.max_bytes:,}")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as img:
                fmt, (width, height) = img.format, img.size
                if fmt not in limits.formats:
                    raise ImageRejected(f"{fmt} images are not accepted (accepted: {', '.join(limits.formats)})")
                if width * height > limits.max_pixels:
                    raise ImageRejected(
                        f"image is {width}x{height} pixels, over the limit of {limits.max_pixels:,} pixels"
                    )
                # verify() checks chunk checksums without decoding; the load below catches truncation.
                img.verify()
            img = Image.open(io.BytesIO(data))
            img.load()
    except ImageRejected:
        raise
    except UnidentifiedImageError:
        raise ImageRejected("not an image (unrecognised format)") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageRejected(f"image too large to decode safely: {exc}") from None
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise ImageRejected(f"corrupt or truncated image: {exc}") from None
    return fmt, img


def inspect(data: bytes, limits: Limits) -> tuple[str, int, int]:
    """Return (format, width, height) of a complete, decodable image within the limits."""
    fmt, img = decode(data, limits)
    return fmt, img.width, img.height


def thumbnail_of(img: Image.Image, width: int) -> bytes:
    """A WebP thumbnail ``width`` pixels wide (never enlarged), aspect kept.

    Bilinear resampling and WebP method 0 keep this near 3 ms an image: a thumbnail is for
    spotting a plot in a grid, the full image is one click away.
    """
    img = img.convert("RGBA" if img.mode in ("RGBA", "LA", "P", "PA") else "RGB")
    if img.width > width:
        height = max(1, round(img.height * width / img.width))
        img = img.resize((width, height), Image.Resampling.BILINEAR, reducing_gap=2.0)
    out = io.BytesIO()
    img.save(out, "WEBP", quality=82, method=0)
    return out.getvalue()


def thumbnail_bytes(data: bytes, width: int) -> bytes:
    with Image.open(io.BytesIO(data)) as img:
        return thumbnail_of(img, width)


def image_path(sha256: str, ext: str) -> str:
    return f"plots/{sha256[:2]}/{sha256[2:4]}/{sha256}.{ext}"


def thumbnail_path(sha256: str) -> str:
    return f"thumbs/{sha256[:2]}/{sha256[2:4]}/{sha256}.webp"


def write_atomic(root: str, relpath: str, data: bytes) -> bool:
    """Write ``data`` to root/relpath unless a file is already there; True when written."""
    target = os.path.join(root, relpath)
    if os.path.exists(target):
        return False
    folder = os.path.dirname(target)
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-")
    except FileNotFoundError:
        # First file under this hash prefix. Trying first saves a mkdir for the common case.
        os.makedirs(folder, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return True


def store(data: bytes, limits: Limits, media_root: str, sha256: str | None = None) -> StoredImage:
    """Check ``data``, then write the image and its thumbnail under their content hash."""
    fmt, img = decode(data, limits)
    width, height = img.size
    digest = sha256 or sha256_of(data)
    image_rel = image_path(digest, EXTENSIONS[fmt])
    thumb_rel = thumbnail_path(digest)
    created = []
    try:
        if not os.path.exists(os.path.join(media_root, thumb_rel)):
            if write_atomic(media_root, thumb_rel, thumbnail_of(img, limits.thumbnail_width)):
                created.append(thumb_rel)
        if write_atomic(media_root, image_rel, data):
            created.append(image_rel)
    except BaseException:
        remove(media_root, created)
        raise
    return StoredImage(digest, image_rel, thumb_rel, len(data), width, height, tuple(created))


@dataclass(frozen=True)
class Prepared:
    """A checked image and its thumbnail, ready to go to a storage that is not a local folder."""

    sha256: str
    image: str
    thumbnail: str
    thumbnail_bytes: bytes
    size_bytes: int
    width: int
    height: int


def prepare_or_reason(data: bytes, limits: Limits, sha256: str) -> Prepared | str:
    """Process-pool entry point for object storage: check one image and make its thumbnail, or say why not."""
    try:
        fmt, img = decode(data, limits)
        thumb = thumbnail_of(img, limits.thumbnail_width)
    except ImageRejected as exc:
        return str(exc)
    return Prepared(
        sha256, image_path(sha256, EXTENSIONS[fmt]), thumbnail_path(sha256), thumb, len(data), img.width, img.height
    )


def remove(media_root: str, relpaths) -> None:
    for rel in relpaths:
        try:
            os.unlink(os.path.join(media_root, rel))
        except FileNotFoundError:
            pass


def store_or_reason(data: bytes, limits: Limits, media_root: str, sha256: str) -> StoredImage | str:
    """Process-pool entry point: store one image, or return the reason it was rejected."""
    try:
        return store(data, limits, media_root, sha256)
    except ImageRejected as exc:
        return str(exc)
    except OSError as exc:
        return f"cannot store: {exc.strerror or exc}"
