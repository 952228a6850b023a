"""OpenAPI pieces: the error body and the documented error responses."""

from drf_spectacular.utils import OpenApiExample, OpenApiResponse
from rest_framework import serializers

# Ids in URLs: digits only, and no longer than a 64-bit id can be (longer ones are unknown routes, 404).
ID_PATTERN = r"[0-9]{1,18}"


class ErrorDetailSerializer(serializers.Serializer):
    status = serializers.IntegerField(help_text="The HTTP status, repeated.")
    code = serializers.CharField(help_text="Stable, for programs: invalid, not_found, too_large, not_an_image...")
    message = serializers.CharField(help_text="For people: what went wrong, naming the first bad field.")
    details = serializers.DictField(help_text="Per-field messages, or per-file results of a bulk upload.")


class ErrorSerializer(serializers.Serializer):
    error = ErrorDetailSerializer()


ERRORS = {
    400: {
        "error": {
            "status": 400,
            "code": "invalid",
            "message": "run_min: Enter a whole number.",
            "details": {"run_min": ["Enter a whole number."]},
        }
    },
    401: {
        "error": {
            "status": 401,
            "code": "not_authenticated",
            "message": "Authentication credentials were not provided.",
            "details": {},
        }
    },
    403: {
        "error": {
            "status": 403,
            "code": "permission_denied",
            "message": "you may not label CDC_straw_occupancy",
            "details": {},
        }
    },
    404: {"error": {"status": 404, "code": "not_found", "message": "No Plot matches the given query.", "details": {}}},
    409: {
        "error": {
            "status": 409,
            "code": "slot_taken",
            "message": "this plot slot already holds a different image (sha256 9f86d081…)",
            "details": {"name": "CDC_occupancy.png", "sha256": "9f86d081…"},
        }
    },
    413: {
        "error": {
            "status": 413,
            "code": "too_large",
            "message": "file is 30,000,000 bytes, over the limit of 20,971,520",
            "details": {},
        }
    },
    429: {
        "error": {
            "status": 429,
            "code": "locked_out",
            "message": "Too many failed logins: try again in a few minutes.",
            "details": {},
        }
    },
    415: {
        "error": {
            "status": 415,
            "code": "not_an_image",
            "message": "not an image (unrecognised format)",
            "details": {"name": "notes.txt"},
        }
    },
}

_DESCRIPTIONS = {
    400: "Invalid input: a bad field, filter, id or cursor.",
    401: "No valid credentials.",
    403: "Not allowed for this user.",
    404: "No such object.",
    409: "Conflicts with what is stored.",
    413: "Too large.",
    415: "Not an accepted image or archive.",
    429: "Too many failed logins for this name or address: locked for a while.",
}


def error_responses(*codes: int) -> dict:
    """Documented error responses, all in the one error shape."""
    return {
        code: OpenApiResponse(
            ErrorSerializer,
            description=_DESCRIPTIONS[code],
            examples=[OpenApiExample(f"Error {code}", value=ERRORS[code], status_codes=[str(code)])],
        )
        for code in codes
    }
