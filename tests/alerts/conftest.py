# The real peers of the notification tests (an HTTP server and an SMTP server on loopback).
from tests.notifications.conftest import fast, http, smtp  # noqa: F401
