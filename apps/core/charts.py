"""Tiny server-side SVG charts: no JavaScript library, readable without scripts, accessible."""

from __future__ import annotations

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe


def bar_chart(values: list[int], labels: list[str], *, title: str, width: int = 560, height: int = 130) -> SafeString:
    """Vertical bars with a tooltip per bar and a text summary for screen readers."""
    n = max(len(values), 1)
    top = max(values, default=0) or 1
    left, bottom, pad_top = 34, 18, 8
    plot_w, plot_h = width - left - 4, height - bottom - pad_top
    step = plot_w / n
    parts = [
        f'<line x1="{left}" y1="{pad_top + plot_h}" x2="{width - 4}" y2="{pad_top + plot_h}" class="axis"/>',
        f'<text x="{left - 4}" y="{pad_top + 8}" class="tick" text-anchor="end">{max(values, default=0)}</text>',
        f'<text x="{left - 4}" y="{pad_top + plot_h}" class="tick" text-anchor="end">0</text>',
    ]
    for i, v in enumerate(values):
        h = plot_h * v / top
        parts.append(
            f'<rect x="{left + i * step + 1:.1f}" y="{pad_top + plot_h - h:.1f}" width="{max(step - 2, 1):.1f}" '
            f'height="{h:.1f}" rx="1.5" class="bar"><title>{escape(labels[i])}: {v}</title></rect>'
        )
    every = max(n // 6, 1)
    for i, text in enumerate(labels):
        if i % every == 0 or i == n - 1:
            parts.append(
                f'<text x="{left + i * step + step / 2:.1f}" y="{height - 4}" class="tick" '
                f'text-anchor="middle">{escape(text)}</text>'
            )
    summary = f"{title}: {sum(values)} in all, at most {max(values, default=0)} per bar"
    return mark_safe(
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(summary)}" '
        f'preserveAspectRatio="none">{"".join(parts)}</svg>'
    )


def sparkline(values: list[int], *, label: str, width: int = 120, height: int = 28) -> SafeString:
    """A small line of ``values`` for table cells."""
    if not values:
        return mark_safe("")
    top = max(values) or 1
    step = width / max(len(values) - 1, 1)
    points = " ".join(f"{i * step:.1f},{height - 2 - (height - 4) * v / top:.1f}" for i, v in enumerate(values))
    return mark_safe(
        f'<svg class="spark" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        f'aria-label="{escape(label)}"><polyline points="{points}" fill="none" stroke-width="1.6"/></svg>'
    )


def stacked_bar(parts: list[tuple[str, int, str]], *, label: str) -> SafeString:
    """One horizontal bar split by share: (name, count, colour) per part."""
    total = sum(count for _, count, _ in parts)
    if not total:
        return mark_safe(f'<div class="stack empty" role="img" aria-label="{escape(label)}: nothing yet"></div>')
    segments = "".join(
        f'<span style="width:{100 * c / total:.3f}%;background:{escape(colour)}" '
        f'title="{escape(name)}: {c} ({100 * c / total:.1f}%)"></span>'
        for name, c, colour in parts
        if c
    )
    spoken = ", ".join(f"{name} {c}" for name, c, _ in parts if c)
    return mark_safe(f'<div class="stack" role="img" aria-label="{escape(label)}: {escape(spoken)}">{segments}</div>')
