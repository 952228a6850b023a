"""A refused request is logged on one line, once; a server error keeps its traceback."""

import logging

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import path

from hydra_portal.urls import urlpatterns as portal_urls


def refuse(request):
    raise PermissionDenied("Sending a brief needs the Labeler role.")


def crash(request):
    raise RuntimeError("a real bug")


urlpatterns = [path("refuse/", refuse), path("crash/", crash), *portal_urls]


@pytest.fixture
def logged(settings):
    """What the root logger's handlers print, as text, through the portal's own filters."""
    settings.ROOT_URLCONF = __name__
    settings.DEBUG_PROPAGATE_EXCEPTIONS = False
    root = logging.getLogger()
    lines: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record):
            lines.append(self.format(record))

    collector = Collect()
    collector.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    for existing in root.handlers:
        for f in existing.filters:
            collector.addFilter(f)
    root.addHandler(collector)
    yield lines
    root.removeHandler(collector)


@pytest.mark.django_db
def test_a_refusal_is_one_line_without_traceback_and_a_crash_keeps_its_traceback(logged):
    client = Client(raise_request_exception=False)
    assert client.get("/refuse/").status_code == 403
    refused = [line for line in logged if "/refuse/" in line]
    assert refused == ["WARNING Forbidden (Permission denied): /refuse/"]
    assert client.get("/crash/").status_code == 500
    crashed = [line for line in logged if "/crash/" in line]
    assert len(crashed) == 1 and "Traceback" in crashed[0] and "RuntimeError: a real bug" in crashed[0]
