"""The experiment dashboard: the slides' summary table from real queries, latest runs and Bad plots."""

from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from apps.core.models import Announcement
from apps.dashboard.summaries import first_id_since, summaries
from apps.plots.models import Plot
from tests import factories


def test_the_dashboard_counts_labeled_and_total_plots_per_experiment(client, scene):
    other = factories.experiment("CLAS12")
    factories.plot(factories.plot_type(other, "DC_occ"))
    response = client.get(reverse("home"))
    assert response.status_code == 200
    rows = {row.experiment.name: row for row in response.context["rows"]}
    assert (rows["GlueX"].labeled, rows["GlueX"].total) == (3, 12)
    assert (rows["CLAS12"].labeled, rows["CLAS12"].total) == (0, 1)
    html = response.content.decode()
    assert "3 / 12" in html and "0 / 1" in html


def test_runs_with_a_bad_plot_are_counted_once_each(client, scene):
    factories.label(scene.plots[("fcal", 1002)], scene.bad)
    factories.label(scene.plots[("fcal", 1004)], scene.bad)
    row = summaries([scene.exp])[0]
    assert row.bad_runs == 2


def test_models_and_classified_figures_count_active_models_and_plots_with_a_verdict(client, scene):
    from apps.monitoring.models import ActiveModel

    row = client.get(reverse("home")).context["rows"][0]
    assert row.active_models == 0 and row.classified == 0
    plots = list(Plot.objects.filter(experiment=scene.exp).select_related("plot_type").order_by("pk"))
    first_type = plots[0].plot_type
    model = factories.classifier_model(first_type)
    ActiveModel.objects.create(plot_type=first_type, model=model)
    for plot in plots[:3]:
        factories.classification(plot, model, "Bad", 0.9, True)
    row = client.get(reverse("home")).context["rows"][0]
    assert row.active_models == 1
    assert row.classified == 3


def test_the_cadence_counts_the_plots_of_each_hour_of_the_last_day(scene):
    now = timezone.now().replace(minute=30)
    ids = list(Plot.objects.order_by("pk").values_list("pk", flat=True))
    # Ids grow with ingest time: the two oldest are days old, the third five hours.
    Plot.objects.filter(pk=ids[0]).update(ingested_at=now - timedelta(days=3))
    Plot.objects.filter(pk=ids[1]).update(ingested_at=now - timedelta(days=2))
    Plot.objects.filter(pk=ids[2]).update(ingested_at=now - timedelta(hours=5))
    Plot.objects.filter(pk__gt=ids[2]).update(ingested_at=now)
    row = summaries([scene.exp], now=now)[0]
    assert row.last_day == len(ids) - 2
    assert row.hourly[-1] == len(ids) - 3 and row.hourly[-6] == 1
    assert row.per_hour == (len(ids) - 2) / 24


def test_the_first_id_of_the_last_day_is_found_by_binary_search(scene):
    ids = list(Plot.objects.order_by("pk").values_list("pk", flat=True))
    now = timezone.now()
    for i, pk in enumerate(ids):
        Plot.objects.filter(pk=pk).update(ingested_at=now - timedelta(hours=len(ids) - i))
    assert first_id_since(now - timedelta(hours=3, minutes=30)) == ids[-3]
    assert first_id_since(now + timedelta(hours=1)) is None
    assert first_id_since(now - timedelta(days=365)) == ids[0]


def test_latest_runs_and_latest_bad_plots_of_the_current_experiment(client, scene):
    response = client.get(reverse("home"), {"experiment": "gluex"})
    runs = [item["run"].number for item in response.context["latest_runs"]]
    assert runs == [1005, 1004, 1003, 1002, 1001]
    by_run = {item["run"].number: item for item in response.context["latest_runs"]}
    assert by_run[1002]["bad"] == 1 and by_run[1002]["labeled"] == 2 and by_run[1003]["plots"] == 3
    assert [p.pk for p in response.context["latest_bad"]] == [scene.plots[("cdc", 1002)].pk]
    assert b"<svg" in response.content


def test_the_dashboard_with_no_experiments_explains_what_to_do(client, db):
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert b"No experiments yet" in response.content


def test_the_news_banner_shows_on_every_page(client, scene):
    Announcement.objects.create(message="Beam off until Monday", level="warning")
    for url in (reverse("home"), reverse("plot-browser") + "?experiment=gluex", reverse("group-tree")):
        assert b"Beam off until Monday" in client.get(url).content


def test_the_dashboard_query_count_does_not_grow_with_the_plots(client, scene):
    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("home")).status_code == 200
        return len(ctx.captured_queries)

    count()
    few = count()
    factories.plots_on_new_runs(scene.cdc, 35)
    # The cadence's binary search over ids adds at most log2(ids) point lookups.
    assert count() <= few + 3


def test_the_dashboard_shows_bad_verdicts_and_the_runs_with_one_beside_the_labels(client, scene):
    model = factories.classifier_model(scene.fcal, activate=True)
    factories.classification(scene.plots[("fcal", 1002)], model, "Bad")
    factories.classification(scene.plots[("fcal-recon", 1003)], model, "Bad")
    factories.classification(scene.plots[("fcal", 1003)], model, "Bad")  # same run as the recon one
    factories.classification(scene.plots[("fcal", 1004)], model, "Good")
    response = client.get(reverse("home"))
    row = response.context["rows"][0]
    assert (row.classified, row.bad_verdicts, row.bad_verdict_runs) == (4, 3, 2)
    html = response.content.decode()
    assert "Runs with a Bad verdict" in html
    assert '<td class="num bad-verdicts">3</td>' in html and '<td class="num bad-verdict-runs">2</td>' in html


def test_runs_with_a_bad_verdict_are_counted_once_across_several_bad_classes(scene):
    from apps.labels.choices import Meaning
    from apps.labels.models import LabelClass

    broken = LabelClass.objects.create(experiment=scene.exp, name="Broken", meaning=Meaning.BAD, colour="#880000")
    model = factories.classifier_model(scene.fcal, classes=("Bad", "Good", "Broken"))
    factories.classification(scene.plots[("fcal", 1002)], model, "Bad")
    factories.classification(scene.plots[("fcal-recon", 1003)], model, "Bad")
    factories.classification(scene.plots[("fcal", 1003)], model, broken.name)
    row = summaries([scene.exp])[0]
    assert (row.bad_verdicts, row.bad_verdict_runs) == (3, 2)
