"""A tiny plot image in media storage, and a check that a PNG carries the stamped label."""

from __future__ import annotations

import io

from PIL import Image

from apps.core import files


def put_plot_image(name: str = "plots/test/notify.png", size=(160, 120)) -> str:
    out = io.BytesIO()
    Image.new("RGB", size, (255, 255, 255)).save(out, format="PNG")
    files.put(name, out.getvalue(), overwrite=True)
    return name


def assert_stamped(data: bytes, size=(160, 120)) -> None:
    """The PNG has the plot's size, a dark label box at the top left and yellow text in it; white elsewhere."""
    image = Image.open(io.BytesIO(data))
    assert image.format == "PNG" and image.size == size
    rgb = image.convert("RGB")
    assert rgb.getpixel((1, 1)) == (0, 0, 0)
    box = rgb.crop((0, 0, size[0] // 2, size[1] // 4))
    pixels = box.load()
    yellow = any(
        pixels[x, y][0] > 200 and pixels[x, y][1] > 200 and pixels[x, y][2] < 60
        for x in range(box.width)
        for y in range(box.height)
    )
    assert yellow, "no label text stamped"
    assert rgb.getpixel((size[0] - 2, size[1] - 2)) == (255, 255, 255)
