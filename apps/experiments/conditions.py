"""Run-condition expressions: a small, safe language to choose runs by their conditions.

    beam_current > 100 and run_type == "production"
    @is_production and not (target in ("empty", "dummy") or radiator_id == 0)

An expression is read by a tokenizer and a recursive-descent parser (never ``eval``, never
Python's own parser); a bad one raises ``ConditionError`` whose message says at which character
it failed and why. A parsed expression is a tree of ``apps.experiments.condition_tree`` that
answers two ways with the same meaning: ``expression.q()``, a ``Q`` on ``Run`` read from the
indexed ``RunCondition`` table, and ``expression.matches(conditions)``, the same test on one run's
``conditions`` dict in Python. What a run may carry is ``apps.experiments.condition_values``.

Meaning: ``name op value`` holds for a run that has the condition with a value of the literal's
kind (numbers and booleans compare as numbers, true = 1; strings compare without regard to case)
that satisfies ``op``; a run without the condition, or with a value of another kind, does not match
(so ``not x == 1`` includes runs without ``x``). Strings allow ``==``, ``!=`` and ``in`` only.
``@name`` (or a bare ``name``) holds when the condition is true or a non-zero number.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache

from apps.experiments.condition_tree import BoolOp, Compare, Flag, In, Node, Not
from apps.experiments.condition_values import KEYWORDS, MAX_TEXT, NAME, NAME_MAX

MAX_LENGTH = 2000
MAX_TERMS = 64
MAX_DEPTH = 32

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
        if m and (c.isdigit() or c == "." or (c in "+-" and not NAME.match(text, i + 1))):
            try:
                number = float(m.group())
            except ValueError:  # pragma: no cover - the pattern only matches floats
                raise ConditionError("not a number", i, text) from None
            if not math.isfinite(number):
                raise ConditionError("the number is too large", i, text)
            tokens.append(Token("number", number, i))
            i = m.end()
            continue
        m = NAME.match(text, i)
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
