"""Whole numbers from URLs, bounded to what every supported database stores.

One check for pages and the API alike: SQLite raises OverflowError on an integer wider than
64 bits instead of matching nothing, so ids are range-checked before they reach a query, and
a value out of range is bad input (400) naming its parameter, never a server error.
"""

from __future__ import annotations

import django_filters as filters
from django import forms
from django.core.exceptions import ValidationError
from django_filters import fields as filter_fields

# The largest integer any of the supported databases takes.
MAX_DB_INT = 2**63 - 1


def is_out_of_range(value) -> bool:
    """True for a whole number (as text or int) that no database column can hold."""
    text = str(value).strip().lstrip("+-")
    return text.isascii() and text.isdigit() and int(text) > MAX_DB_INT


def out_of_range(params) -> dict[str, list[str]]:
    """The query parameters holding integers too large for the database, each with a message."""
    bad: dict[str, list[str]] = {}
    for key, values in params.lists():
        for value in values:
            parts = value.split(",") if "," in value else [value]
            if any(is_out_of_range(part) for part in parts):
                bad.setdefault(key, []).append(f"{value[:40]} is out of range")
    return bad


def range_error(value) -> ValidationError:
    return ValidationError(f"{str(value)[:40]} is out of range", code="out_of_range")


def parse_id_list(raw: str, name: str, limit: int | None = None) -> list[int]:
    """``1,2,3`` as ids; a ValidationError keyed on ``name`` for anything else or out of range."""
    ids = []
    for part in (p.strip() for p in raw.split(",")):
        if not part:
            continue
        if not (part.isascii() and part.isdigit()):
            raise ValidationError({name: ValidationError(f"{part[:40]} is not an id", code="invalid")})
        if int(part) > MAX_DB_INT:
            raise ValidationError({name: range_error(part)})
        ids.append(int(part))
    return ids[:limit] if limit is not None else ids


def _check_pk(field, value) -> None:
    if field.to_field_name in (None, "pk", "id") and is_out_of_range(value):
        raise range_error(value)


class BoundedModelChoiceField(filter_fields.ModelChoiceField):
    def to_python(self, value):
        if value not in self.empty_values:
            _check_pk(self, value)
        return super().to_python(value)


class BoundedModelMultipleChoiceField(filter_fields.ModelMultipleChoiceField):
    def _check_values(self, value):
        for item in value or ():
            _check_pk(self, item)
        return super()._check_values(value)


class IdChoiceFilter(filters.ModelChoiceFilter):
    """A model chosen by id; an id wider than the database is an error, not a crash."""

    field_class = BoundedModelChoiceField


class IdMultipleChoiceFilter(filters.ModelMultipleChoiceFilter):
    field_class = BoundedModelMultipleChoiceField


class BoundedIntegerField(forms.IntegerField):
    """A whole number from 0 to the largest the database takes."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("max_value", MAX_DB_INT)
        super().__init__(*args, **kwargs)
