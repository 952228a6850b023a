"""Keyset ("cursor") pagination: the last page costs what the first does.

A cursor is the sort-key values of the last row seen. The next page is the rows strictly
after it in the (key, ..., id) order, found by an index range scan instead of OFFSET.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass

from django.db.models import Q, QuerySet


class BadCursor(ValueError):
    pass


def encode_cursor(values: list) -> str:
    return base64.urlsafe_b64encode(json.dumps(values, separators=(",", ":")).encode()).decode().rstrip("=")


def _is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def decode_cursor(cursor: str, size: int) -> list:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, UnicodeDecodeError):
        raise BadCursor("the cursor is not one this server gave out") from None
    if not isinstance(values, list) or len(values) != size or not all(_is_number(v) for v in values):
        raise BadCursor("the cursor does not match this sort order")
    return values


def _after(order: tuple[str, ...], values: list, reverse: bool = False) -> Q:
    """Rows strictly after ``values`` in ``order`` (or before, with reverse)."""
    condition = Q()
    for i in range(len(order) - 1, -1, -1):
        field = order[i].lstrip("-")
        descending = order[i].startswith("-") != reverse
        strict = Q(**{f"{field}__lt" if descending else f"{field}__gt": values[i]})
        if i == len(order) - 1:
            condition = strict
        else:
            condition = strict | (Q(**{field: values[i]}) & condition)
    return condition


@dataclass
class Page:
    rows: list
    next_cursor: str | None
    prev_cursor: str | None


def paginate(qs: QuerySet, order: tuple[str, ...], cursor: str | None, size: int, backwards: bool = False) -> Page:
    """One page of ``qs`` in ``order`` after ``cursor`` (before it when ``backwards``)."""
    fields = [o.lstrip("-") for o in order]
    if cursor:
        values = decode_cursor(cursor, len(order))
        qs = qs.filter(_after(order, values, reverse=backwards))
    if backwards:
        flipped = tuple(f[1:] if f.startswith("-") else "-" + f for f in order)
        rows = list(qs.order_by(*flipped)[: size + 1])
        more = len(rows) > size
        rows = rows[:size][::-1]
        has_prev, has_next = more, bool(cursor)
    else:
        rows = list(qs.order_by(*order)[: size + 1])
        more = len(rows) > size
        rows = rows[:size]
        has_prev, has_next = bool(cursor), more

    def key(row):
        return [getattr(row, f) if not isinstance(row, dict) else row[f] for f in fields]

    return Page(
        rows=rows,
        next_cursor=encode_cursor(key(rows[-1])) if rows and has_next else None,
        prev_cursor=encode_cursor(key(rows[0])) if rows and has_prev else None,
    )


__all__ = ["BadCursor", "Page", "paginate", "encode_cursor", "decode_cursor"]
