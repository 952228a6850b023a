"""Files of the validation app under validation/ in the media storage: models, encoders, histograms, heat maps.

Paths in the database are relative to the storage root, like the plots' own image paths. The
libraries write and read these files by path: on the filesystem that is the file under MEDIA_ROOT;
on object storage a working copy (``apps.core.files.mirror``) that ``publish`` stores after writing.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from apps.core import files
from apps.plots.models import media_url

ROOT = "validation"


def relative(*parts: str) -> str:
    return "/".join([ROOT, *[str(p) for p in parts]])


def absolute(rel: str) -> Path:
    """A local path of ``rel``: the file itself, or its working copy on object storage."""
    root = files.local_root()
    return root / rel if root is not None else files.mirror(rel)


def publish(rel: str) -> None:
    """Store a file just written at ``absolute(rel)`` (object storage; nothing to do on disk)."""
    files.publish(rel)


def url(rel: str) -> str:
    return media_url(rel)


def write_bytes(rel: str, data: bytes) -> Path:
    """Write ``data`` at ``rel`` atomically (temporary file, then rename); return the absolute path."""
    target = absolute(rel)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    publish(rel)
    return target


def plot_image_path(plot) -> str:
    return str(files.local_path(plot.image))


def new_model_file(kind: str, plot_type_id: int) -> str:
    """A fresh, time-stamped ``.keras`` path for a model of ``kind``, its folder made; the relative path."""
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S-%f")
    rel = relative(kind, plot_type_id, f"{stamp}.keras")
    absolute(rel).parent.mkdir(parents=True, exist_ok=True)
    return rel


def replace_active(model_class, plot_type, **fields):
    """Retire the plot type's active ``model_class`` row and create the new active one, in one transaction."""
    with transaction.atomic():
        model_class.objects.filter(plot_type=plot_type, is_active=True).update(is_active=False)
        return model_class.objects.create(plot_type=plot_type, **fields)
