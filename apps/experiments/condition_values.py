"""Run conditions as runs carry them: which names and values a run may hold, and how a value is
compared and indexed.

A condition name starts with a letter or ``_`` and holds letters, digits, ``_`` and ``.``; the
expression language's keywords are not names. Numbers and booleans compare as numbers (true = 1);
strings compare without regard to case, and only up to ``MAX_TEXT`` characters are indexed.
"""

from __future__ import annotations

import math
import re

# Longer strings stay in Run.conditions but are not indexed, so they never match a string literal.
MAX_TEXT = 255
NAME_MAX = 100
# What one run may carry (API, sidecar files).
MAX_CONDITIONS = 500
MAX_VALUE_LENGTH = 10_000

KEYWORDS = {"and", "or", "not", "in", "true", "false"}
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")


def text_key(value: str) -> str:
    """The form a string is compared and indexed in (case folded)."""
    return value.casefold()


def as_number(value):
    """A run's value as a number (booleans are 1 and 0), or None for other kinds."""
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, (int, float)):
        try:
            number = float(value)
        except OverflowError:  # an integer beyond a float's range
            return None
        return number if math.isfinite(number) else None
    return None


def as_text(value):
    if isinstance(value, str) and len(value) <= MAX_TEXT:
        return text_key(value)
    return None


def index_values(value) -> tuple[float | None, str | None] | None:
    """The (number, text) a condition value is indexed under, or None for a value not indexed."""
    number = as_number(value)
    if number is not None:
        return number, None
    text = as_text(value)
    return (None, text) if text is not None else None


def check_conditions(value) -> dict:
    """A run's conditions as sent by a client or a sidecar file: a flat JSON object of scalars.

    Returns the dict; raises ValueError with a message naming the first offending key.
    """
    if not isinstance(value, dict):
        raise ValueError("conditions must be a JSON object of name: value")
    if len(value) > MAX_CONDITIONS:
        raise ValueError(f"at most {MAX_CONDITIONS} conditions per run")
    for key, item in value.items():
        if not isinstance(key, str) or not NAME.fullmatch(key) or key.lower() in KEYWORDS or len(key) > NAME_MAX:
            raise ValueError(
                f"condition name {str(key)[:60]!r} must start with a letter or _ and hold only letters, "
                f"digits, _ and . (at most {NAME_MAX} characters, not a keyword)"
            )
        if item is not None and not isinstance(item, (str, int, float, bool)):
            raise ValueError(f"condition {key!r} must be a number, a string, true, false or null, not a list or object")
        if isinstance(item, float) and not math.isfinite(item):
            raise ValueError(f"condition {key!r} must be a finite number")
        if isinstance(item, int) and not isinstance(item, bool) and abs(item) >= 2**63:
            raise ValueError(f"condition {key!r} is too large (at most 2**63 - 1 in size)")
        if isinstance(item, str) and len(item) > MAX_VALUE_LENGTH:
            raise ValueError(f"condition {key!r} is longer than {MAX_VALUE_LENGTH} characters")
    return value
