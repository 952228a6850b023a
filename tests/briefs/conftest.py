import pytest

from apps.briefs.models import ShiftSchedule
from tests import factories
from tests.notifications.peers import HTTPServer


@pytest.fixture
def logbook(settings):
    """A logbook on loopback: an HTTP server that records the entries POSTed to it."""
    server = HTTPServer().start()
    settings.LOGBOOK_URL = server.url + "/logbooks/{logbook}/entries"
    settings.LOGBOOK_FORMAT = "json"
    yield server
    server.stop()


@pytest.fixture
def crew(db):
    return factories.user("shifter", roles=["Labeler"])


def schedule(exp, **kw) -> ShiftSchedule:
    kw.setdefault("email_to", "shift@lab.example")
    kw.setdefault("logbook", "HDLOG")
    return ShiftSchedule.objects.create(experiment=exp, **kw)
