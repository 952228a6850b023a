"""Run-condition expressions for the trends filter: ``beam_current > 50 and target == "LH2"``.

The expression language of apps.experiments (``apps.experiments.conditions``) is used when it is
there; without it, a small stand-in reads clauses ``key op value`` joined by ``and`` (or commas),
ops ``= == != < <= > >=``, numbers compared as numbers, anything else as text. Either way the
expression selects among an experiment's runs (thousands), never among plots, and is tested on
each run's ``conditions`` in Python.
"""

from __future__ import annotations

import operator
import re

OPS = {"==": operator.eq, "=": operator.eq, "!=": operator.ne, "<=": operator.le, ">=": operator.ge}
OPS |= {"<": operator.lt, ">": operator.gt}
CLAUSE = re.compile(r"^\s*([A-Za-z_][\w.\-]*)\s*(==|!=|<=|>=|=|<|>)\s*(.+?)\s*$")
MAX_LENGTH = 500


class ConditionError(ValueError):
    """An expression that cannot be read; the message says which part and why."""


try:
    from apps.experiments.conditions import parse as _experiments_parse
except ImportError:  # an older tree without the experiments' expression language
    _experiments_parse = None


def _number(value):
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return float(str(value))
    except ValueError:
        return None


def parse(expression: str):
    """A predicate over a run's ``conditions`` dict; raises ConditionError on a malformed expression."""
    text = (expression or "").strip()
    if not text:
        return lambda conditions: True
    if _experiments_parse is not None:
        try:
            node = _experiments_parse(text)
        except ValueError as exc:  # the experiments' ConditionError is a ValueError with a clear message
            raise ConditionError(str(exc)) from None
        return node.matches
    return _parse_simple(text)


def _parse_simple(text: str):
    if len(text) > MAX_LENGTH:
        raise ConditionError(f"The expression is longer than {MAX_LENGTH} characters.")
    clauses = []
    for part in re.split(r"\s+and\s+|,", text, flags=re.IGNORECASE):
        match = CLAUSE.match(part)
        if not match:
            raise ConditionError(f"Cannot read {part.strip()!r}: write key op value, e.g. beam_current > 50.")
        key, op, raw = match.groups()
        raw = raw.strip("'\"")
        clauses.append((key, OPS[op], op, raw, _number(raw)))

    def matches(conditions: dict) -> bool:
        for key, compare, op, raw, number in clauses:
            if key not in (conditions or {}):
                return False
            value = conditions[key]
            have = _number(value)
            if number is not None and have is not None:
                if not compare(have, number):
                    return False
            elif op in ("=", "==", "!="):
                if not compare(str(value), raw):
                    return False
            else:
                return False  # ordering text against a number (or text) is not asked for
        return True

    return matches


def numeric(conditions: dict, key: str) -> float | None:
    """The run's condition ``key`` as a number, or None when missing or not numeric."""
    return _number((conditions or {}).get(key))
