"""Plots per plot type are counted as they are ingested, uploaded and deleted; recount repairs the figures."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count
from rest_framework.test import APIClient

from apps.accounts.roles import DETECTOR_EXPERT
from apps.dashboard.summaries import summaries
from apps.plots.counters import counts_by_type
from apps.plots.ingest import Ingestor, Source
from apps.plots.layout import PlotRef
from apps.plots.models import Plot, PlotCount
from tests import factories

pytestmark = pytest.mark.django_db


def sources(plot_type: str, runs, seed: int = 0) -> list[Source]:
    out = []
    for run in runs:
        ref = PlotRef(plot_type=plot_type, run=run, run_period="RunPeriod-2021-08", chunk=0, campaign="online")
        out.append(Source(name=f"{plot_type}_{run}.png", ref=ref, data=factories.png_bytes(16, 12, seed + run)))
    return out


def counters() -> dict[int, int]:
    return {c.plot_type_id: c.plots for c in PlotCount.objects.all() if c.plots}


def total(exp) -> int:
    [row] = summaries([exp])
    return row.total


def ingest(exp, items):
    with Ingestor(exp, workers=1) as ingestor:
        return ingestor.ingest(items)


def test_ingest_counts_each_plot_type_once_and_reingesting_adds_nothing():
    exp, other = factories.experiment("GlueX"), factories.experiment("CLAS12")
    ingest(exp, sources("CDC_occupancy", range(1, 8)) + sources("FCAL_occupancy", range(1, 4)))
    ingest(other, sources("DC_hits", range(1, 3)))
    assert counters() == counts_by_type() and sorted(counters().values()) == [2, 3, 7]
    assert (total(exp), total(other)) == (10, 2)

    ingest(exp, sources("CDC_occupancy", range(1, 8)))
    assert counters() == counts_by_type() and total(exp) == 10


def test_a_batch_that_fills_slots_one_by_one_after_a_race_is_counted_once(monkeypatch):
    # The one-by-one path (after an IntegrityError in the bulk insert) saves each plot: post_save counts
    # it, and the plots_ingested receiver must not count it again.
    exp = factories.experiment()
    ingest(exp, sources("CDC_occupancy", [1]))
    from apps.plots import ingest as ingest_module

    real = ingest_module.Ingestor._existing_slots

    def blind(self, keys):
        real(self, keys)  # fills the caches of runs and plot types, then pretends no slot is taken
        return {}

    monkeypatch.setattr(ingest_module.Ingestor, "_existing_slots", blind)
    report = ingest(exp, sources("CDC_occupancy", [1, 2, 3], seed=50))
    assert sorted(o.status for o in report.outcomes) == ["new", "new", "rejected"]
    assert counters() == counts_by_type() and total(exp) == 3


def test_an_upload_adds_one_and_a_rolled_back_ingest_adds_nothing():
    exp = factories.experiment()
    expert = factories.user("expert", roles=[DETECTOR_EXPERT])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {factories.api_token(expert)[1]}")
    form = {
        "image": SimpleUploadedFile("x.png", factories.png_bytes(16, 12, 9), content_type="image/png"),
        "experiment": exp.slug,
        "plot_type": "BCAL_timing",
        "run": 80464,
        "run_period": "RunPeriod-2021-08",
        "campaign": "online",
    }
    assert client.post("/api/v1/plots/", form, format="multipart").status_code == 201
    assert total(exp) == 1 and counters() == counts_by_type()

    with pytest.raises(RuntimeError), transaction.atomic():
        ingest(exp, sources("BCAL_timing", range(1, 5)))
        assert total(exp) == 5  # counted inside the transaction that holds the plots
        raise RuntimeError("the surrounding work failed")
    assert total(exp) == 1 and counters() == counts_by_type() and Plot.objects.count() == 1


def test_deleting_plots_one_by_one_or_in_bulk_subtracts_them():
    exp = factories.experiment()
    ingest(exp, sources("CDC_occupancy", range(1, 6)) + sources("FCAL_occupancy", range(1, 6)))
    Plot.objects.get(run_number=1, plot_type__name="CDC_occupancy").delete()
    assert total(exp) == 9 and counters() == counts_by_type()
    Plot.objects.filter(plot_type__name="FCAL_occupancy").delete()
    assert total(exp) == 4 and counters() == counts_by_type()


def test_recount_repairs_counters_that_drifted_and_says_which():
    exp = factories.experiment("GlueX")
    ingest(exp, sources("CDC_occupancy", range(1, 4)) + sources("FCAL_occupancy", range(1, 3)))
    cdc = exp.plot_types.get(name="CDC_occupancy")
    PlotCount.objects.filter(plot_type=cdc).update(plots=999)
    PlotCount.objects.filter(plot_type__name="FCAL_occupancy").delete()
    assert total(exp) == 999

    out = io.StringIO()
    call_command("recount", stdout=out)
    text = out.getvalue()
    assert "GlueX / CDC_occupancy: 999 -> 3" in text and "GlueX / FCAL_occupancy: 0 -> 2" in text
    assert "2 counter(s) repaired" in text
    assert total(exp) == 5 and counters() == counts_by_type()

    again = io.StringIO()
    call_command("recount", "--experiment", exp.slug, stdout=again)
    assert "0 counter(s) repaired" in again.getvalue()


def test_recount_of_an_unknown_experiment_is_an_error():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="no experiment 'nope'"):
        call_command("recount", "--experiment", "nope")


def by_class(exp) -> dict[str, int]:
    [row] = summaries([exp])
    return {name: n for name, n, _ in row.by_class}


def label_counts_match() -> bool:
    from apps.labels.models import LabelCount

    held = {(c.plot_type_id, c.label_class_id): c.plots for c in LabelCount.objects.all() if c.plots}
    actual = {
        (t, c): n
        for t, c, n in Plot.objects.filter(label_class__isnull=False)
        .values_list("plot_type_id", "label_class_id")
        .annotate(n=Count("id"))
        .order_by()
    }
    return held == actual


def test_labeling_relabeling_erasing_and_deleting_keep_the_label_counts():
    from apps.labels.services import apply_labels, erase_labels

    exp = factories.experiment()
    good, bad = factories.label_class(exp, "Good"), factories.label_class(exp, "Bad")
    ingest(exp, sources("CDC_occupancy", range(1, 7)))
    plots = list(Plot.objects.order_by("run_number"))
    apply_labels([(p, good) for p in plots[:4]])
    assert by_class(exp)["Good"] == 4 and by_class(exp)["Unlabeled"] == 2 and label_counts_match()

    # Relabel two (one given twice in one batch: its last class counts), on stale in-memory plots.
    apply_labels([(plots[0], bad), (plots[1], bad), (plots[1], good), (plots[5], bad)])
    assert (by_class(exp)["Good"], by_class(exp)["Bad"]) == (3, 2) and label_counts_match()
    apply_labels([(Plot.objects.get(pk=plots[0].pk), bad)])  # the same class again changes nothing
    assert (by_class(exp)["Good"], by_class(exp)["Bad"]) == (3, 2)

    assert erase_labels([plots[0], plots[4]]) == 1
    assert (by_class(exp)["Good"], by_class(exp)["Bad"]) == (3, 1) and label_counts_match()

    Plot.objects.get(pk=plots[5].pk).delete()
    assert by_class(exp)["Bad"] == 0 and by_class(exp)["Unlabeled"] == 2 and label_counts_match()


def test_recount_repairs_label_counts_too():
    from apps.labels.models import LabelCount
    from apps.labels.services import apply_labels

    exp = factories.experiment("GlueX")
    good = factories.label_class(exp, "Good")
    ingest(exp, sources("CDC_occupancy", range(1, 4)))
    apply_labels([(p, good) for p in Plot.objects.all()])
    LabelCount.objects.update(plots=7)
    assert by_class(exp)["Good"] == 7

    out = io.StringIO()
    call_command("recount", stdout=out)
    assert "GlueX / CDC_occupancy labeled Good: 7 -> 3" in out.getvalue()
    assert by_class(exp)["Good"] == 3 and label_counts_match()
