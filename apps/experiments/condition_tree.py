"""Parsed run-condition expressions (``apps.experiments.conditions.parse`` makes them): a tree that
chooses runs two ways with the same meaning.

- ``node.q()``: a ``Q`` on ``Run`` made of id subqueries on the indexed ``RunCondition`` table (one
  row per run and condition name), so the database chooses runs without reading the runs' JSON;
  ``node.run_ids(universe)`` does the same with one index-only scan per comparison and sets;
- ``node.matches(conditions)``: the same test on one run's ``conditions`` dict in Python.

A comparison holds for a run that has the condition with a value of the literal's kind (see
``apps.experiments.condition_values``) that satisfies the operator; a run without the condition,
or with a value of another kind, does not match (so ``not x == 1`` includes runs without ``x``).
A flag holds when the condition is true or a non-zero number.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

from django.db.models import Q

from apps.experiments.condition_values import as_number, as_text, text_key


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
            key = text_key(self.value)
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
            have = as_text(raw)
            if have is None:
                return False
            want = text_key(self.value)
            return have == want if self.op == "==" else have != want
        have = as_number(raw)
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
        texts = sorted({text_key(v) for v in self.values if isinstance(v, str)})
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
        value = as_number(conditions.get(self.name))
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
