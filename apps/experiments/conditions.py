"""Run-condition expressions: a small, safe language to choose runs by their conditions.

    beam_current > 100 and run_type == "production"
    @is_production and not (target in ("empty", "dummy") or radiator_id == 0)

An expression is read by a tokenizer and a recursive-descent parser (never ``eval``, never
Python's own parser); a bad one raises ``ConditionError`` whose message says at which character
it failed and why. A parsed expression answers two ways with the same meaning:

- ``expression.q()``: a ``Q`` on ``Run`` made of id subqueries on the indexed ``RunCondition``
  table (one row per run and condition name), so the database chooses runs without reading the
  runs' JSON;
- ``expression.matches(conditions)``: the same test on one run's ``conditions`` dict in Python.

Meaning: ``name op value`` holds for a run that has the condition with a value of the literal's
kind (numbers and booleans compare as numbers, true = 1; strings compare without regard to case)
that satisfies ``op``; a run without the condition, or with a value of another kind, does not match
(so ``not x == 1`` includes runs without ``x``). Strings allow ``==``, ``!=`` and ``in`` only.
``@name`` (or a bare ``name``) holds when the condition is true or a non-zero number.
"""

from __future__ import annotations

import math
import re
from abc import ABC, abstractmethod
from dataclasses import dataclass
from functools import lru_cache

from django.db.models import Q

MAX_LENGTH = 2000
MAX_TERMS = 64
MAX_DEPTH = 32
# Longer strings stay in Run.conditions but are not indexed, so they never match a string literal.
MAX_TEXT = 255
NAME_MAX = 100
# What one run may carry (API, sidecar files).
MAX_CONDITIONS = 500
MAX_VALUE_LENGTH = 10_000

KEYWORDS = {"and", "or", "not", "in", "true", "false"}
OPERATORS = ("==", "!=", "<=", ">=", "<", ">")
ORDERING = ("<", "<=", ">", ">=")


class ConditionError(ValueError):
    """A bad expression; ``position`` is the 0-based character where reading failed."""

    def __init__(self, message: str, position: int | None = None, text: str = ""):
        self.position = position
        self.reason = message
        if position is not None:
            near = text[position : position + 20]
            where = f"at character {position + 1}"
            where += f" (near “{near}”)" if near.strip() else " (at the end)"
            message = f"Bad condition {where}: {message}"
        else:
            message = f"Bad condition: {message}"
        super().__init__(message)


# ---------------------------------------------------------------------------------------- tokens


@dataclass(frozen=True)
class Token:
    kind: str  # name, number, string, op, keyword, "(", ")", ",", "@", end
    value: object
    position: int


_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")


def tokenize(text: str) -> list[Token]:
    if not isinstance(text, str):
        raise ConditionError("the expression must be text")
    if len(text) > MAX_LENGTH:
        raise ConditionError(f"the expression is longer than {MAX_LENGTH} characters")
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
            continue
        if c in "(),@":
            tokens.append(Token(c, c, i))
            i += 1
            continue
        two = text[i : i + 2]
        if two in ("==", "!=", "<=", ">="):
            tokens.append(Token("op", two, i))
            i += 2
            continue
        if c in "<>":
            tokens.append(Token("op", c, i))
            i += 1
            continue
        if c == "=":
            raise ConditionError("use “==” to compare", i, text)
        if c in "\"'":
            value, end = _read_string(text, i)
            tokens.append(Token("string", value, i))
            i = end
            continue
        m = _NUMBER.match(text, i)
        if m and (c.isdigit() or c == "." or (c in "+-" and not _NAME.match(text, i + 1))):
            try:
                number = float(m.group())
            except ValueError:  # pragma: no cover - the pattern only matches floats
                raise ConditionError("not a number", i, text) from None
            if not math.isfinite(number):
                raise ConditionError("the number is too large", i, text)
            tokens.append(Token("number", number, i))
            i = m.end()
            continue
        m = _NAME.match(text, i)
        if m:
            word = m.group()
            if word.lower() in KEYWORDS:
                tokens.append(Token("keyword", word.lower(), i))
            else:
                if len(word) > NAME_MAX:
                    raise ConditionError(f"a condition name has at most {NAME_MAX} characters", i, text)
                tokens.append(Token("name", word, i))
            i = m.end()
            continue
        raise ConditionError(f"unexpected character “{c}”", i, text)
    tokens.append(Token("end", None, n))
    return tokens


def _read_string(text: str, start: int) -> tuple[str, int]:
    quote = text[start]
    out = []
    i = start + 1
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text):
            out.append(text[i + 1])
            i += 2
            continue
        if c == quote:
            return "".join(out), i + 1
        out.append(c)
        i += 1
    raise ConditionError("the string is not closed", start, text)


# ---------------------------------------------------------------------------------------- tree


def _text_key(value: str) -> str:
    return value.casefold()


def _as_number(value):
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


def _as_text(value):
    if isinstance(value, str) and len(value) <= MAX_TEXT:
        return _text_key(value)
    return None


class Node(ABC):
    @abstractmethod
    def q(self) -> Q:
        """A Q on Run: the runs this node chooses, as id subqueries on RunCondition."""

    @abstractmethod
    def run_ids(self, universe: frozenset[int]) -> set[int]:
        """The ids among ``universe`` this node chooses: one index-only scan of RunCondition per
        comparison, the and/or/not done on sets (fast where a multi-way semi-join is not)."""

    @abstractmethod
    def matches(self, conditions: dict) -> bool:
        """Whether a run with ``conditions`` is chosen (the same answer as ``q``, in Python)."""

    @abstractmethod
    def names(self) -> set[str]:
        """The condition names the node reads."""


def _condition_rows():
    from apps.experiments.models import RunCondition

    return RunCondition.objects.all()


class Leaf(Node):
    """A comparison on one condition: ``rows()`` is its Q on RunCondition."""

    @abstractmethod
    def rows(self) -> Q:
        """The Q on RunCondition rows of this comparison."""

    def q(self) -> Q:
        return Q(pk__in=_condition_rows().filter(self.rows(), name=self.name).values("run_id"))

    def run_ids(self, universe: frozenset[int]) -> set[int]:
        found = _condition_rows().filter(self.rows(), name=self.name).values_list("run_id", flat=True)
        return {pk for pk in found.iterator(chunk_size=20_000) if pk in universe}


@dataclass(frozen=True)
class Compare(Leaf):
    name: str
    op: str
    value: object  # float or str

    def rows(self) -> Q:
        # != is a pair of ranges so that it stays on the (name, number) or (name, text) index.
        if isinstance(self.value, str):
            key = _text_key(self.value)
            return Q(text=key) if self.op == "==" else Q(text__lt=key) | Q(text__gt=key)
        v = self.value
        if self.op == "!=":
            return Q(number__lt=v) | Q(number__gt=v)
        lookup = {"==": "number", "<": "number__lt", "<=": "number__lte", ">": "number__gt", ">=": "number__gte"}
        return Q(**{lookup[self.op]: v})

    def matches(self, conditions: dict) -> bool:
        if self.name not in conditions:
            return False
        raw = conditions[self.name]
        if isinstance(self.value, str):
            have = _as_text(raw)
            if have is None:
                return False
            want = _text_key(self.value)
            return have == want if self.op == "==" else have != want
        have = _as_number(raw)
        if have is None:
            return False
        return {
            "==": have == self.value,
            "!=": have != self.value,
            "<": have < self.value,
            "<=": have <= self.value,
            ">": have > self.value,
            ">=": have >= self.value,
        }[self.op]

    def names(self) -> set[str]:
        return {self.name}


@dataclass(frozen=True)
class In(Leaf):
    name: str
    values: tuple

    def rows(self) -> Q:
        numbers = sorted({v for v in self.values if not isinstance(v, str)})
        texts = sorted({_text_key(v) for v in self.values if isinstance(v, str)})
        rows = Q()
        if numbers:
            rows |= Q(number__in=numbers)
        if texts:
            rows |= Q(text__in=texts)
        return rows

    def matches(self, conditions: dict) -> bool:
        return any(Compare(self.name, "==", v).matches(conditions) for v in self.values)

    def names(self) -> set[str]:
        return {self.name}


@dataclass(frozen=True)
class Flag(Leaf):
    name: str

    def rows(self) -> Q:
        return Q(number__lt=0) | Q(number__gt=0)

    def matches(self, conditions: dict) -> bool:
        value = _as_number(conditions.get(self.name))
        return value is not None and value != 0

    def names(self) -> set[str]:
        return {self.name}


@dataclass(frozen=True)
class Not(Node):
    operand: Node

    def q(self) -> Q:
        return ~self.operand.q()

    def run_ids(self, universe: frozenset[int]) -> set[int]:
        return set(universe - self.operand.run_ids(universe))

    def matches(self, conditions: dict) -> bool:
        return not self.operand.matches(conditions)

    def names(self) -> set[str]:
        return self.operand.names()


@dataclass(frozen=True)
class BoolOp(Node):
    op: str  # and, or
    operands: tuple

    def q(self) -> Q:
        result = self.operands[0].q()
        for operand in self.operands[1:]:
            result = (result & operand.q()) if self.op == "and" else (result | operand.q())
        return result

    def run_ids(self, universe: frozenset[int]) -> set[int]:
        if self.op == "or":
            return set().union(*(o.run_ids(universe) for o in self.operands))
        chosen = self.operands[0].run_ids(universe)
        for operand in self.operands[1:]:
            if not chosen:
                break
            chosen &= operand.run_ids(frozenset(chosen))
        return chosen

    def matches(self, conditions: dict) -> bool:
        results = (o.matches(conditions) for o in self.operands)
        return all(results) if self.op == "and" else any(results)

    def names(self) -> set[str]:
        return set().union(*(o.names() for o in self.operands))


# ---------------------------------------------------------------------------------------- parser


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.tokens = tokenize(text)
        self.i = 0
        self.terms = 0

    @property
    def token(self) -> Token:
        return self.tokens[self.i]

    def fail(self, message: str, token: Token | None = None):
        token = token or self.token
        raise ConditionError(message, token.position, self.text)

    def describe(self, token: Token) -> str:
        if token.kind == "end":
            return "the end"
        if token.kind == "string":
            return "a string"
        if token.kind == "number":
            return "a number"
        return f"“{token.value}”"

    def take(self, kind: str, value=None) -> Token | None:
        t = self.token
        if t.kind == kind and (value is None or t.value == value):
            self.i += 1
            return t
        return None

    def parse(self) -> Node:
        if self.token.kind == "end":
            self.fail("the expression is empty")
        node = self.parse_or(0)
        if self.token.kind != "end":
            self.fail(f"expected “and”, “or” or the end, found {self.describe(self.token)}")
        return node

    def parse_or(self, depth: int) -> Node:
        operands = [self.parse_and(depth)]
        while self.take("keyword", "or"):
            operands.append(self.parse_and(depth))
        return operands[0] if len(operands) == 1 else BoolOp("or", tuple(operands))

    def parse_and(self, depth: int) -> Node:
        operands = [self.parse_not(depth)]
        while self.take("keyword", "and"):
            operands.append(self.parse_not(depth))
        return operands[0] if len(operands) == 1 else BoolOp("and", tuple(operands))

    def parse_not(self, depth: int) -> Node:
        if depth > MAX_DEPTH:
            self.fail(f"nested more than {MAX_DEPTH} deep")
        if self.take("keyword", "not"):
            return Not(self.parse_not(depth + 1))
        return self.parse_primary(depth)

    def count_term(self):
        self.terms += 1
        if self.terms > MAX_TERMS:
            self.fail(f"more than {MAX_TERMS} comparisons")

    def parse_primary(self, depth: int) -> Node:
        t = self.token
        if self.take("("):
            node = self.parse_or(depth + 1)
            if not self.take(")"):
                self.fail(
                    f"expected “)” to close the “(” at character {t.position + 1}, found {self.describe(self.token)}"
                )
            return node
        if self.take("@"):
            name = self.take("name")
            if name is None:
                self.fail(f"expected a condition name after “@”, found {self.describe(self.token)}")
            self.count_term()
            return Flag(name.value)
        name = self.take("name")
        if name is None:
            self.fail(f"expected a condition name, “@flag”, “not” or “(”, found {self.describe(t)}")
        self.count_term()
        op = self.take("op")
        if op is not None:
            value = self.parse_value(op.value)
            if isinstance(value, str) and op.value in ORDERING:
                self.fail(f"strings compare with ==, != and in only, not “{op.value}”", op)
            return Compare(name.value, op.value, value)
        if self.token.kind == "keyword" and self.token.value == "not" and self.tokens[self.i + 1].value == "in":
            self.i += 2
            return Not(In(name.value, self.parse_list()))
        if self.take("keyword", "in"):
            return In(name.value, self.parse_list())
        if self.token.kind in ("end", ")") or (self.token.kind == "keyword" and self.token.value in ("and", "or")):
            return Flag(name.value)
        self.fail(
            f"expected a comparison (==, !=, <, <=, >, >=, in) after “{name.value}”, found {self.describe(self.token)}"
        )

    def parse_value(self, after: str):
        t = self.token
        if self.take("number"):
            return t.value
        if self.take("string"):
            if len(t.value) > MAX_TEXT:
                self.fail(f"a string has at most {MAX_TEXT} characters", t)
            return t.value
        if self.take("keyword", "true"):
            return 1.0
        if self.take("keyword", "false"):
            return 0.0
        self.fail(f'expected a number, a "string", true or false after “{after}”, found {self.describe(t)}')

    def parse_list(self) -> tuple:
        if not self.take("("):
            self.fail(f"expected “(” to start the list after “in”, found {self.describe(self.token)}")
        values = [self.parse_value("(")]
        while self.take(","):
            values.append(self.parse_value(","))
        if not self.take(")"):
            self.fail(f"expected “,” or “)” in the list, found {self.describe(self.token)}")
        return tuple(values)


@lru_cache(maxsize=256)
def parse(text: str) -> Node:
    """The expression's tree; raises ConditionError with the place and reason of the first fault."""
    return _Parser(text).parse()


def validate(text: str) -> str:
    """``text`` stripped if it parses (empty allowed); raises ConditionError otherwise."""
    text = (text or "").strip()
    if text:
        parse(text)
    return text


# ---------------------------------------------------------------------------------------- values


def index_values(value) -> tuple[float | None, str | None] | None:
    """The (number, text) a condition value is indexed under, or None for a value not indexed."""
    number = _as_number(value)
    if number is not None:
        return number, None
    text = _as_text(value)
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
        if not isinstance(key, str) or not _NAME.fullmatch(key) or key.lower() in KEYWORDS or len(key) > NAME_MAX:
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
