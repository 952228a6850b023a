"""Keyset pagination for API lists, built on apps.core.pagination.

The page after (or before) a cursor is found by an index range scan, so page 10,000 costs
what page 1 does, and rows inserted meanwhile never shift or repeat a page. The cursor is
opaque; a ``p.`` prefix marks one that pages backwards.
"""

from __future__ import annotations

from rest_framework import serializers
from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from apps.core.pagination import BadCursor, decode_cursor, paginate

BACKWARDS = "p."
# Keys are ids and run numbers: non-negative and within a 64-bit signed integer.
MAX_KEY = 2**63 - 1


class KeysetPagination(BasePagination):
    """``?cursor=`` and ``?page_size=`` (default 50, at most 500); ``{"results", "next", "previous"}``.

    The view names its order with ``cursor_order`` (integer columns ending on the primary key)
    or a ``get_cursor_order(request)`` method.
    """

    cursor_query_param = "cursor"
    page_size_query_param = "page_size"
    page_size = 50
    max_page_size = 500

    def get_order(self, request, view) -> tuple[str, ...]:
        if hasattr(view, "get_cursor_order"):
            return view.get_cursor_order(request)
        return getattr(view, "cursor_order", ("-id",))

    def get_page_size(self, request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw in (None, ""):
            return self.page_size
        try:
            size = int(raw)
        except ValueError:
            raise serializers.ValidationError({self.page_size_query_param: ["Use a whole number."]}) from None
        if size < 1:
            raise serializers.ValidationError({self.page_size_query_param: ["Use a number of at least 1."]})
        return min(size, self.max_page_size)

    def decode(self, raw: str | None, order) -> tuple[str | None, bool]:
        if not raw:
            return None, False
        backwards = raw.startswith(BACKWARDS)
        cursor = raw[len(BACKWARDS) :] if backwards else raw
        try:
            values = decode_cursor(cursor, len(order))
        except BadCursor as exc:
            raise serializers.ValidationError({self.cursor_query_param: [str(exc)]}) from None
        if not all(0 <= v <= MAX_KEY for v in values):
            raise serializers.ValidationError({self.cursor_query_param: ["the cursor is not one this server gave out"]})
        return cursor, backwards

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        order = self.get_order(request, view)
        size = self.get_page_size(request)
        cursor, backwards = self.decode(request.query_params.get(self.cursor_query_param), order)
        # Keys first, rows second: the page's keys come from the index alone (no joins, which make
        # MariaDB read and sort every matching row), then the rows and relations are loaded by id.
        fields = [o.lstrip("-") for o in order]
        keys = queryset.select_related(None).prefetch_related(None).values(*dict.fromkeys([*fields, "pk"]))
        self.page = paginate(keys, order, cursor, size, backwards)
        ids = [row["pk"] for row in self.page.rows]
        found = queryset.order_by().in_bulk(ids)
        return [found[pk] for pk in ids if pk in found]

    def _link(self, cursor: str | None) -> str | None:
        if cursor is None:
            return None
        url = self.request.build_absolute_uri()
        return replace_query_param(url, self.cursor_query_param, cursor)

    def get_next_link(self):
        return self._link(self.page.next_cursor)

    def get_previous_link(self):
        if self.page.prev_cursor is None:
            return None
        return self._link(BACKWARDS + self.page.prev_cursor)

    def get_first_link(self):
        return remove_query_param(self.request.build_absolute_uri(), self.cursor_query_param)

    def get_paginated_response(self, data):
        return Response({"results": data, "next": self.get_next_link(), "previous": self.get_previous_link()})

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["results", "next", "previous"],
            "properties": {
                "results": schema,
                "next": {
                    "type": "string",
                    "nullable": True,
                    "format": "uri",
                    "description": "The next page, or null on the last one.",
                },
                "previous": {
                    "type": "string",
                    "nullable": True,
                    "format": "uri",
                    "description": "The page before, or null on the first one.",
                },
            },
        }

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": "Opaque cursor from a `next` or `previous` link; omit for the first page.",
                "schema": {"type": "string"},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": f"Rows per page (default {self.page_size}, at most {self.max_page_size}).",
                "schema": {"type": "integer", "minimum": 1, "maximum": self.max_page_size},
            },
        ]
