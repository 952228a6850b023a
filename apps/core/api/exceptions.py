"""One JSON error shape for the whole API.

Every error under /api/ reads ``{"error": {"status": 400, "code": "invalid", "message": "...",
"details": {...}}}``: ``code`` is stable and meant for programs, ``message`` for people, and
``details`` carries per-field messages (validation) or per-file results (bulk upload).
"""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation, TooManyFieldsSent, TooManyFilesSent
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.db.models import ProtectedError, RestrictedError
from django.http import Http404, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from apps.core import outage
from apps.core.integers import out_of_range
from apps.core.outage import is_outage

log = logging.getLogger(__name__)


class ApiError(exceptions.APIException):
    """An error with an explicit status, code, message and details."""

    def __init__(self, status_code: int, code: str, message: str, details=None):
        super().__init__(detail=message, code=code)
        self.status_code = status_code
        self.code = code
        self.message = message
        self.details = details if details is not None else {}


class Conflict(ApiError):
    def __init__(self, message: str, details=None):
        super().__init__(status.HTTP_409_CONFLICT, "conflict", message, details)


class Unavailable(ApiError):
    """The database (or another service the request needs) is down: try again after ``Retry-After``."""

    def __init__(self, message: str):
        super().__init__(status.HTTP_503_SERVICE_UNAVAILABLE, "unavailable", message)


class PayloadTooLarge(ApiError):
    def __init__(self, message: str, details=None):
        super().__init__(status.HTTP_413_REQUEST_ENTITY_TOO_LARGE, "too_large", message, details)


def error_body(status_code: int, code: str, message: str, details=None) -> dict:
    return {"error": {"status": status_code, "code": code, "message": message, "details": details or {}}}


def _first_message(detail) -> str:
    """A one-line summary of a (possibly nested) DRF error detail, naming the first field."""
    if isinstance(detail, dict):
        for key, value in detail.items():
            inner = _first_message(value)
            if key in ("non_field_errors", "__all__"):
                return inner
            return f"{key}: {inner}"
        return "invalid input"
    if isinstance(detail, list):
        for value in detail:
            inner = _first_message(value)
            if inner:
                return inner
        return "invalid input"
    return str(detail)


def _out_of_range(request) -> dict:
    """Name the query parameters holding integers too large for the database (the pages' check too)."""
    params = getattr(request, "query_params", None) or getattr(request, "GET", {})
    return out_of_range(params) or {"non_field_errors": ["a number in the request is out of range"]}


def _translate(exc, context=None):
    """Turn Django and database exceptions that mean "bad request" into DRF ones."""
    if isinstance(exc, OverflowError) and context and context.get("request") is not None:
        # Filters look ids up before validating their range; an id no row can have is bad input.
        return exceptions.ValidationError(_out_of_range(context["request"]))
    if isinstance(exc, DjangoValidationError):
        return exceptions.ValidationError(as_serializer_error(exc))
    if isinstance(exc, ProtectedError | RestrictedError):
        return Conflict(
            "this object is still used by others and cannot be deleted",
            {"used_by": sorted({str(o._meta.verbose_name_plural) for o in exc.protected_objects if o is not None})}
            if isinstance(exc, ProtectedError)
            else {},
        )
    if is_outage(exc):
        log.warning("database unavailable: %s", exc)
        return Unavailable(outage.MESSAGE)
    if isinstance(exc, IntegrityError):
        return Conflict("this would duplicate or break a reference to another object")
    if isinstance(exc, RequestDataTooBig):
        return PayloadTooLarge(str(exc) or "the request body is too large")
    if isinstance(exc, TooManyFilesSent | TooManyFieldsSent):
        return ApiError(400, "too_many_parts", str(exc) or "the request has too many files or fields")
    if isinstance(exc, SuspiciousOperation):
        return ApiError(400, "bad_request", str(exc) or "bad request")
    if isinstance(exc, DjangoPermissionDenied):
        return exceptions.PermissionDenied(str(exc) or None)
    if isinstance(exc, Http404):
        return exceptions.NotFound(str(exc) or None)
    return exc


def exception_handler(exc, context):
    exc = _translate(exc, context)
    if isinstance(exc, ApiError):
        set_rollback()
        response = Response(error_body(exc.status_code, exc.code, exc.message, exc.details), status=exc.status_code)
        if isinstance(exc, Unavailable):
            outage.close_broken_connections()
            response["Retry-After"] = str(outage.RETRY_AFTER_SECONDS)
        return response
    response = drf_exception_handler(exc, context)
    if response is None:
        # A bug, not bad input: log it and still answer in the API's shape.
        log.exception("unhandled error in %s", context.get("view").__class__.__name__, exc_info=exc)
        set_rollback()
        return Response(
            error_body(500, "server_error", "the server failed to handle this request; it has been logged"),
            status=500,
        )
    if isinstance(exc, exceptions.ValidationError):
        code, details = "invalid", exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        message = _first_message(exc.detail)
    else:
        codes = exc.get_codes() if isinstance(exc, exceptions.APIException) else "error"
        code = codes if isinstance(codes, str) else "error"
        details = {}
        message = _first_message(exc.detail) if isinstance(exc, exceptions.APIException) else str(exc)
    response.data = error_body(response.status_code, code, message, details)
    return response


@csrf_exempt  # a POST to a mistyped route must get this JSON answer, not the CSRF failure page
def not_found(request, *args, **kwargs):
    """JSON 404 for any path under /api/ that no route matches."""
    path = request.path
    hint = ""
    if not path.endswith("/"):
        from django.urls import Resolver404, resolve

        try:
            if resolve(path + "/").func is not not_found:
                hint = f": add a trailing slash, {path}/"
        except Resolver404:
            pass
    body = error_body(404, "not_found", f"no API endpoint at {path}{hint}")
    return JsonResponse(body, status=404)
