"""Property-based GETs against the live schema: no list endpoint answers 5xx, whatever the query."""

import pytest
import schemathesis
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests import factories

pytestmark = pytest.mark.django_db

LISTS = r"^/api/v1/(experiments|run-periods|runs|campaigns|plot-types|plot-groups|label-classes|plots|labels|jobs)/$"


@pytest.fixture(autouse=True)
def keep_the_test_connection():
    """Calling the WSGI app directly fires request_finished, whose close_old_connections would close the
    test's connection (it is inside the test transaction) — fatal on MariaDB. Django's test client
    disconnects it the same way."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def some_data(experiment):
    cdc = factories.plot_type(experiment, "CDC_occupancy", detector="CDC")
    group = factories.plot_group(experiment, "Drift chambers", types=[cdc])
    factories.plot_group(experiment, "Tracking", parents=[group])
    bad = factories.label_class(experiment, "Bad")
    for number in (10, 20):
        factories.label(factories.plot(cdc, factories.run(experiment, number)), bad)


def test_list_endpoints_never_answer_a_server_error(settings, some_data):
    settings.OPEN_ACCESS = True
    from hydra_portal.wsgi import application

    schema = schemathesis.openapi.from_wsgi("/api/schema/", application).include(method="GET", path_regex=LISTS)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 10

    for operation in operations:

        @hypothesis_settings(
            max_examples=30,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def check(case):
            case.call_and_validate(checks=[not_a_server_error, response_schema_conformance])

        check()
