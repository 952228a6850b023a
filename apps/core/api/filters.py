"""Filter pieces shared by the API's FilterSets."""

import django_filters as filters
from django import forms

# Run numbers and counts are stored as positive 32-bit integers.
MAX_INT = 2**31 - 1


class IntegerFilter(filters.NumberFilter):
    """A whole-number filter bounded to what the column can hold (no decimals, no overflow)."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("max_value", MAX_INT)
        super().__init__(*args, **kwargs)
