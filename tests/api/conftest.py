"""Helpers of the API tests; the users in each role and the API clients are in tests/conftest.py."""


def error_of(response) -> dict:
    """The error body of a response, after checking it has the API's one error shape."""
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert set(error) == {"status", "code", "message", "details"}, error
    assert error["status"] == response.status_code
    assert isinstance(error["message"], str) and error["message"]
    return error
