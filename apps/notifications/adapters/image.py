"""The plot image attached to e-mails and logbook entries, with its label (the run number) stamped on it."""

from __future__ import annotations

import io
import logging

from PIL import Image, ImageDraw, ImageFont

log = logging.getLogger(__name__)
MAX_SIDE = 2000


def stamp(data: bytes, label: str) -> bytes:
    """``data`` (any image Pillow reads) as PNG with ``label`` in a dark box at the top left."""
    with Image.open(io.BytesIO(data)) as source:
        image = source.convert("RGB")
    if max(image.size) > MAX_SIDE:
        image.thumbnail((MAX_SIDE, MAX_SIDE))
    if label:
        draw = ImageDraw.Draw(image)
        size = max(12, image.height // 18)
        try:
            font = ImageFont.load_default(size=size)
        except TypeError:  # Pillow without sized default fonts
            font = ImageFont.load_default()
        left, top, right, bottom = draw.textbbox((0, 0), label, font=font)
        pad = max(3, size // 4)
        draw.rectangle((0, 0, right - left + 2 * pad, bottom - top + 2 * pad), fill=(0, 0, 0))
        draw.text((pad - left, pad - top), label, fill=(255, 255, 0), font=font)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def attachment(delivery) -> tuple[str, bytes] | None:
    """(file name, PNG bytes) of the delivery's image, stamped; None when it has none or it is gone."""
    if not delivery.image:
        return None
    from apps.core import files

    try:
        data = files.read(delivery.image)
    except (OSError, FileNotFoundError) as exc:
        log.warning("delivery %s: image %s not readable (%s); sent without it", delivery.pk, delivery.image, exc)
        return None
    label = delivery.image_label
    stem = "-".join(label.lower().split()) if label else "plot"
    return f"{stem or 'plot'}.png", stamp(data, label)
