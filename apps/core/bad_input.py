"""Bad input on a page: a 400 page naming each wrong parameter, never a server error."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.shortcuts import render

from apps.core.integers import is_out_of_range, out_of_range


def wants_json(request) -> bool:
    """Whether the caller (a script's fetch(), a JSON body) wants its answer, errors included, as JSON."""
    return "application/json" in request.headers.get("Accept", "") or request.content_type == "application/json"


class BadParameters(Exception):
    """Raised by a page view for query parameters it cannot answer; ``problems`` maps name → messages."""

    def __init__(self, problems: dict[str, list[str]]):
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in problems.items()))
        self.problems = problems

    @classmethod
    def from_validation_error(cls, exc: ValidationError) -> BadParameters:
        if hasattr(exc, "error_dict"):
            return cls({name: [m for e in errors for m in e.messages] for name, errors in exc.error_dict.items()})
        return cls({"request": exc.messages})


def bad_parameters_response(request, problems: dict[str, list[str]]):
    if wants_json(request):
        return JsonResponse({"message": "Some query parameters are wrong.", "errors": problems}, status=400)
    return render(request, "core/bad_request.html", {"problems": sorted(problems.items())}, status=400)


class BadParameterMiddleware:
    """Pages answer 400 for BadParameters, and for an integer too large for the database (SQLite's
    OverflowError) with the parameters that hold one. The API has its own error shape."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exc):
        if request.path.startswith("/api/"):
            return None
        if isinstance(exc, BadParameters):
            return bad_parameters_response(request, exc.problems)
        if isinstance(exc, OverflowError):
            problems = out_of_range(request.GET) or {"request": ["a number in the request is out of range"]}
            return bad_parameters_response(request, problems)
        return None


def reject_out_of_range(form) -> None:
    """Raise BadParameters for the fields of a bound ``form`` holding an integer wider than the database.

    Other errors are left to the page (most pages drop a malformed filter with a message)."""
    problems = {}
    for name, errors in form.errors.as_data().items():
        raw = form.data.getlist(name) if hasattr(form.data, "getlist") else [form.data.get(name, "")]
        if any(e.code == "out_of_range" for e in errors) or any(is_out_of_range(v) for v in raw):
            problems[name] = [f"{str(v)[:40]} is out of range" for v in raw if is_out_of_range(v)] or [
                m for e in errors for m in e.messages
            ]
    if problems:
        raise BadParameters(problems)
