"""Shared fixtures: a private media root per test, and small factories for the domain."""

import io

import pytest
from PIL import Image

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


def decode(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data))
