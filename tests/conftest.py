"""Shared fixtures: a private media root and cache per test, users in each role, API clients, the worker,
and the mail and HTTP peers on loopback.

Passwords are hashed with MD5 in the whole suite (tests/settings.py), so making users stays cheap.
"""

import io

import dramatiq
import pytest
from PIL import Image
from rest_framework.test import APIClient

from apps.accounts.roles import ADMIN, DETECTOR_EXPERT, LABELER, SHIFT_CREW, VIEWER
from hydra_portal.broker import InProcessBroker
from tests import factories


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Every test writes images under its own temporary media root."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MEDIA_ROOT.mkdir()
    return settings.MEDIA_ROOT


@pytest.fixture(autouse=True)
def fresh_cache(settings, request):
    """A private cache per test, so login throttling counts never leak from one test to another."""
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": request.node.nodeid}
    }


@pytest.fixture
def png_bytes():
    return factories.png_bytes


@pytest.fixture
def experiment(db):
    return factories.experiment()


@pytest.fixture
def make_png():
    def make(width=64, height=48, seed=0, fmt="PNG"):
        return factories.png_bytes(width, height, seed, fmt)

    return make


# Users in each role. A test that flushes the database (a transactional one) asks for ``roles`` first.


@pytest.fixture
def roles(db):
    """The roles with their permissions as the migrations made them (also after a transactional test's flush)."""
    factories.restore_roles()
    factories.grant_monitoring_roles()


@pytest.fixture
def viewer(db):
    return factories.user("viewer", roles=[VIEWER])


@pytest.fixture
def labeler(db):
    return factories.user("labeler", roles=[LABELER])


@pytest.fixture
def expert(db):
    """A detector expert: may upload plots (plots.add_plot)."""
    return factories.user("expert", roles=[DETECTOR_EXPERT])


@pytest.fixture
def admin(db):
    return factories.user("admin", roles=[ADMIN])


@pytest.fixture
def shift_crew(db):
    """A labeler on shift: may also acknowledge and silence alarms."""
    return factories.user("night-shift", roles=[LABELER, SHIFT_CREW])


@pytest.fixture
def api():
    """An anonymous API client."""
    return APIClient()


@pytest.fixture
def as_user():
    """An API client authenticated as ``user``, by API token (default), bearer token or a real session login."""

    def make(user, how: str = "token") -> APIClient:
        client = APIClient()
        if how == "token":
            _, key = factories.api_token(user)
            client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        elif how == "bearer":
            _, key = factories.api_token(user)
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
        else:
            assert client.login(username=user.username, password="pw-for-tests-1")
        return client

    return make


@pytest.fixture
def worker():
    """The in-process Dramatiq worker, or a real worker thread on the Redis/RabbitMQ broker in CI."""
    import apps.monitoring.tasks  # noqa: F401  (declare the actors before the worker starts)

    broker = dramatiq.get_broker()
    if isinstance(broker, InProcessBroker):
        broker.start_worker()
        yield broker
        broker.join_all()
        return
    started = dramatiq.Worker(broker, worker_threads=1, worker_timeout=100)
    started.start()
    yield broker
    started.stop()


# Peers on loopback for the notification, alarm and brief tests.


@pytest.fixture
def fast(settings):
    """Short waits between delivery attempts, so retries happen within a test."""
    settings.NOTIFY_RETRY_SECONDS = 0.2
    settings.NOTIFY_RETRY_MAX_SECONDS = 1.0
    settings.NOTIFY_TIMEOUT = 3.0
    settings.NOTIFY_MAX_ATTEMPTS = 5
    return settings


@pytest.fixture
def smtp(settings):
    """A real SMTP server on loopback, set as the portal's mail server."""
    from tests.notifications.peers import SMTPServer

    server = SMTPServer().start()
    server.settings(settings)
    yield server
    server.stop()


@pytest.fixture
def http():
    """A real HTTP server on loopback that records what is POSTed to it."""
    from tests.notifications.peers import HTTPServer

    server = HTTPServer().start()
    yield server
    server.stop()


def decode(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data))
