import pytest

from tests.notifications.peers import HTTPServer, SMTPServer


@pytest.fixture
def fast(settings):
    """Short waits between attempts, so retries happen within a test."""
    settings.NOTIFY_RETRY_SECONDS = 0.2
    settings.NOTIFY_RETRY_MAX_SECONDS = 1.0
    settings.NOTIFY_TIMEOUT = 3.0
    settings.NOTIFY_MAX_ATTEMPTS = 5
    return settings


@pytest.fixture
def smtp(settings):
    server = SMTPServer().start()
    server.settings(settings)
    yield server
    server.stop()


@pytest.fixture
def http():
    server = HTTPServer().start()
    yield server
    server.stop()
