"""The map job: one stored vector per plot, a map, clusters and rankings; new plots are placed without a recompute."""

import pytest

from apps.jobs.models import Job
from apps.jobs.runner import enqueue
from apps.plots.ingest import Ingestor, Source
from apps.plots.layout import PlotRef
from apps.validation import explore, tasks
from apps.validation.models import EmbeddingSpace, PlotEmbedding
from ml.embeddings import from_blob
from tests import factories
from tests.validation import synthetic
from tests.validation.conftest import drain

pytestmark = pytest.mark.django_db(transaction=True)


def make_plots(pt, camp):
    """Twelve good FCAL maps (runs 100-111) then four with a hot channel (200-203), labeled so."""
    good = [(run, synthetic.png(synthetic.FCAL, run)) for run in range(100, 112)]
    bad = [(run, synthetic.png(synthetic.FCAL, run, "hot_channels")) for run in range(200, 204)]
    return factories.labeled_plots(pt, camp, {"Good": good, "Bad": bad})


def test_the_embedding_job_stores_one_vector_per_plot(worker):
    exp = factories.experiment("GlueX")
    pt = factories.plot_type(exp, synthetic.FCAL)
    plots = make_plots(pt, factories.campaign(exp, "online"))
    job = enqueue(tasks.compute_map, kind="validation.map", plot_type=pt.pk, method="pixels")
    drain(worker)
    job.refresh_from_db()
    assert job.status == Job.Status.DONE, job.log
    space = EmbeddingSpace.objects.get(plot_type=pt, method="pixels")
    points = list(space.points.all())
    assert sorted(p.plot_id for p in points) == sorted(p.pk for p in plots)
    assert all(len(bytes(p.vector)) == 4 * space.dim and from_blob(p.vector).shape == (space.dim,) for p in points)
    assert space.n_points == 16 and space.n_clusters >= 2 and job.result["points"] == 16
    # The four broken plots are the most different ones.
    hot = {p.pk for p in plots[-4:]}
    ranked = list(space.points.order_by("-outlier_score").values_list("plot_id", flat=True)[:4])
    assert len(hot & set(ranked)) >= 3
    header = explore.read_header(explore.payload(space))
    assert header["n"] == header["total"] == 16
    assert [e["name"] for e in header["legends"]["label"]][:3] == ["unlabeled", "Good", "Bad"]


def test_new_plots_are_placed_on_the_existing_map_without_moving_it(worker):
    exp = factories.experiment("GlueX")
    pt = factories.plot_type(exp, synthetic.FCAL)
    camp = factories.campaign(exp, "online")
    make_plots(pt, camp)
    enqueue(tasks.compute_map, kind="validation.map", plot_type=pt.pk, method="pixels")
    drain(worker)
    space = EmbeddingSpace.objects.get(plot_type=pt)
    before = dict(space.points.values_list("plot_id", "x"))
    sources = [
        Source(
            name=f"new{run}.png",
            ref=PlotRef(plot_type=pt.name, run=run, run_period="RunPeriod-2021-08", chunk=0, campaign="online"),
            data=synthetic.png(synthetic.FCAL, run, failure),
        )
        for run, failure in ((300, None), (301, "hot_channels"))
    ]
    with Ingestor(exp, campaign="online", workers=1) as ingestor:
        new_ids = [o.plot.pk for o in ingestor.ingest(sources).outcomes]
    drain(worker)
    placed = {p.plot_id: p for p in PlotEmbedding.objects.filter(space=space, plot_id__in=new_ids)}
    assert set(placed) == set(new_ids) and all(p.placed for p in placed.values())
    assert dict(space.points.filter(placed=False).values_list("plot_id", "x")) == before
    assert Job.objects.filter(kind="validation.incoming", status=Job.Status.DONE).exists()
    # The broken newcomer lands among the broken plots, the good one among the good.
    bad_ids = set(
        PlotEmbedding.objects.filter(space=space, plot__label_class__name="Bad").values_list("cluster", flat=True)
    )
    assert placed[new_ids[1]].cluster in bad_ids
    assert placed[new_ids[1]].outlier_score > placed[new_ids[0]].outlier_score
