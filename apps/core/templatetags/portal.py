"""Small template helpers shared by every page: readable text on class colours."""

from django import template

register = template.Library()


def _rgb(colour: str) -> tuple[int, int, int] | None:
    colour = (colour or "").lstrip("#")
    if len(colour) != 6:
        return None
    try:
        return int(colour[0:2], 16), int(colour[2:4], 16), int(colour[4:6], 16)
    except ValueError:
        return None


def _luminance(rgb: tuple[int, int, int]) -> float:
    def channel(c: int) -> float:
        c = c / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


@register.filter
def on_colour(colour: str) -> str:
    """Black or white, whichever reads better on ``colour`` (WCAG contrast)."""
    rgb = _rgb(colour)
    if rgb is None:
        return "#111827"
    lum = _luminance(rgb)
    return "#111827" if (lum + 0.05) / 0.05 > 1.05 / (lum + 0.05) else "#ffffff"


@register.filter
def tint(colour: str, alpha: str = "0.14") -> str:
    """``colour`` as a translucent rgba() for backgrounds."""
    rgb = _rgb(colour)
    if rgb is None:
        return "transparent"
    return f"rgba({rgb[0]}, {rgb[1]}, {rgb[2]}, {alpha})"


@register.filter
def percent(part, whole) -> str:
    try:
        return f"{100 * part / whole:.1f}" if whole else "0.0"
    except (TypeError, ZeroDivisionError):
        return "0.0"


@register.filter
def plain(value) -> str:
    """A setting's value as a reader would write it: "–" for none, yes/no, "a 1, b 2" for a mapping."""
    if value is None or value == "":
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict):
        return ", ".join(f"{k} {plain(v)}" for k, v in value.items()) or "–"
    if isinstance(value, (list, tuple)):
        return ", ".join(plain(v) for v in value) or "–"
    return str(value)
