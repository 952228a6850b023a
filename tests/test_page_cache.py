"""The short page cache (PAGE_CACHE_SECONDS): dashboard figures and filter choices kept a few seconds."""

import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.labels.models import LabelClass
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def cached(settings):
    settings.PAGE_CACHE_SECONDS = 5


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries.captured_queries)


def test_the_dashboard_reads_its_figures_once_within_the_cache_time(client, cached):
    exp = factories.experiment()
    factories.plot(factories.plot_type(exp))
    first = _queries(client, reverse("home"))
    again = _queries(client, reverse("home"))
    assert again < first
    assert client.get(reverse("home")).context["rows"][0].total == 1


def test_the_dashboard_shows_new_plots_once_the_cache_time_is_over(client, settings):
    settings.PAGE_CACHE_SECONDS = 0.2
    exp = factories.experiment()
    ptype = factories.plot_type(exp)
    factories.plot(ptype)
    assert client.get(reverse("home")).context["rows"][0].total == 1
    factories.plot(ptype)
    time.sleep(0.3)
    assert client.get(reverse("home")).context["rows"][0].total == 2


def test_the_plot_browser_reads_its_filter_choices_once_within_the_cache_time(client, cached):
    exp = factories.experiment()
    factories.plot(factories.plot_type(exp))
    url = reverse("plot-browser") + f"?experiment={exp.slug}"
    first = _queries(client, url)
    again = _queries(client, url)
    assert first - again >= 5  # run periods, campaigns, plot types, groups, label classes
    names = {c.name for c in client.get(url).context["options"]["label_classes"]}
    assert names == set(LabelClass.objects.filter(experiment=exp).values_list("name", flat=True))
