"""manage.py ingest: Hydra's layout or a custom regex in, deduplicated content-addressed plots out.

Every test works on real PNG files in a temporary tree and checks the media root afterwards:
every Plot row has its image and thumbnail, and no file lies there without a row.
"""

import hashlib
import io
import os
import re
from pathlib import Path

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.management import CommandError, call_command
from PIL import Image

from apps.experiments.models import Campaign, Experiment, Run
from apps.plots.ingest import SLOT_TAKEN, Ingestor, crawl
from apps.plots.layout import HYDRA_LAYOUT, LayoutError, PlotRef, compile_layout, parse
from apps.plots.models import Plot, PlotType
from apps.plots.signals import plots_ingested
from tests import factories

SUMMARY = re.compile(r"^ingested (\d+) new, (\d+) duplicate, (\d+) rejected in \d+\.\d s \(\d+ plots/s\)$")
PERIOD = "RunPeriod-2021-08"


# -- helpers ----------------------------------------------------------------------------------


def write_tree(root: Path, files: dict[str, bytes]) -> Path:
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return root


def hydra_tree(root: Path, runs=(80464, 80465), types=("CDC_occupancy", "FCAL_energy"), chunks=(0,)) -> Path:
    """A tree in Hydra's layout with a distinct real PNG per slot."""
    files = {}
    for run in runs:
        for t, name in enumerate(types):
            for chunk in chunks:
                suffix = f"_{chunk:04d}" if chunk else ""
                seed = run * 100 + t * 10 + chunk
                files[f"{PERIOD}/Run{run:06d}/{name}{suffix}.png"] = factories.png_bytes(48, 36, seed)
    return write_tree(root, files)


def ingest(path, experiment, **options):
    """Run the command; return (counts, stdout lines, stderr lines)."""
    out, err = io.StringIO(), io.StringIO()
    options.setdefault("workers", 1)
    call_command("ingest", str(path), experiment=experiment.name, stdout=out, stderr=err, **options)
    lines = out.getvalue().splitlines()
    match = SUMMARY.match(lines[-1])
    assert match, f"last line is not the summary: {lines[-1]!r}"
    return tuple(int(n) for n in match.groups()), lines, err.getvalue().splitlines()


def files_under(root: Path) -> set[str]:
    found = set()
    for folder, _dirs, names in os.walk(root):
        for name in names:
            found.add(os.path.relpath(os.path.join(folder, name), root).replace(os.sep, "/"))
    return found


def assert_nothing_partial(media_root: Path, plots=None):
    """Every row has both files; every file under the media root belongs to a row (nothing ignored)."""
    plots = list(Plot.objects.all() if plots is None else plots)
    referenced = {p.image for p in plots} | {p.thumbnail for p in plots}
    for plot in plots:
        assert (media_root / plot.image).is_file(), plot.image
        assert (media_root / plot.thumbnail).is_file(), plot.thumbnail
    assert files_under(media_root) == referenced


def truncated_png() -> bytes:
    data = factories.png_bytes(64, 48, 99)
    return data[: len(data) // 2]


def corrupt_png() -> bytes:
    data = bytearray(factories.png_bytes(64, 48, 98))
    data[60:200] = bytes(140)  # keep the signature and header, wreck the compressed pixels
    return bytes(data)


# -- layout -----------------------------------------------------------------------------------


def test_hydras_layout_gives_plot_type_run_period_run_and_chunk():
    ref = parse("RunPeriod-2021-08/Run080464/RF_TOF_selftiming-02_0037.png", compile_layout(None))
    assert ref == PlotRef(
        plot_type="RF_TOF_selftiming-02", run=80464, run_period="RunPeriod-2021-08", chunk=37, campaign=None
    )


def test_a_file_without_a_chunk_suffix_is_chunk_zero():
    ref = parse("RunPeriod-2021-08/Run080464/RF_TOF_selftiming-02.png", compile_layout(None))
    assert (ref.plot_type, ref.run, ref.chunk) == ("RF_TOF_selftiming-02", 80464, 0)


def test_only_a_four_digit_suffix_is_a_chunk():
    regex = compile_layout(None)
    assert parse("P/Run000001/CDC_ring_12.png", regex).plot_type == "CDC_ring_12"
    assert parse("P/Run000001/CDC_ring_12.png", regex).chunk == 0
    assert parse("P/Run000001/CDC_ring_0012.PNG", regex).chunk == 12


def test_the_layout_matches_deeper_trees_and_refuses_other_paths():
    regex = compile_layout(None)
    deep = parse("halld/monitoring/RunPeriod-2022-05/Run090001/FCAL_energy.png", regex)
    assert (deep.run_period, deep.run) == ("RunPeriod-2022-05", 90001)
    assert parse("RunPeriod-2021-08/Run080464/notes.txt", regex) is None
    assert parse("RunPeriod-2021-08/080464/FCAL.png", regex) is None
    assert parse("FCAL.png", regex) is None


def test_a_custom_pattern_may_name_the_campaign():
    regex = compile_layout(r"(?P<campaign>[^/]+)/(?P<plot_type>\w+)_run(?P<run>\d+)(?:_c(?P<chunk>\d+))?\.png$")
    ref = parse("recon-ver05/CDC_occupancy_run1234_c2.png", regex, default_period="sim-2024")
    assert ref == PlotRef(plot_type="CDC_occupancy", run=1234, run_period="sim-2024", chunk=2, campaign="recon-ver05")


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        (r"(?P<run>\d+)\.png", r"needs named groups \['plot_type'\]"),
        (r"(?P<plot_type>\w+)\.png", r"needs named groups \['run'\]"),
        (r"(?P<run>\d+)/(?P<plot_type>\w+)/(?P<detector>\w+)", r"unknown named groups \['detector'\]"),
        (r"(?P<run>\d+", "not a valid regular expression"),
    ],
)
def test_a_pattern_without_the_required_groups_is_refused(pattern, message):
    with pytest.raises(LayoutError, match=message):
        compile_layout(pattern)


@pytest.mark.django_db
def test_the_command_refuses_a_pattern_missing_required_groups(tmp_path, experiment):
    hydra_tree(tmp_path / "in")
    with pytest.raises(CommandError, match=r"--pattern: the pattern needs named groups \['run'\]"):
        call_command("ingest", str(tmp_path / "in"), experiment=experiment.name, pattern=r"(?P<plot_type>\w+)\.png")
    assert not Plot.objects.exists()


@pytest.mark.django_db
def test_the_command_refuses_a_missing_path(tmp_path, experiment):
    with pytest.raises(CommandError, match="does not exist"):
        call_command("ingest", str(tmp_path / "nowhere"), experiment=experiment.name)


# -- a tree goes in ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_ingest_brings_a_hydra_tree_in_and_prints_the_summary(tmp_path, experiment, media_root):
    root = hydra_tree(tmp_path / "in", runs=(80464, 80465, 80466), chunks=(0, 37))
    counts, lines, errors = ingest(root, experiment)
    assert counts == (12, 0, 0)
    assert errors == []
    assert Plot.objects.filter(experiment=experiment).count() == 12
    plot = Plot.objects.get(plot_type__name="CDC_occupancy", run_number=80464, chunk=37)
    assert plot.run.run_period.name == PERIOD
    assert plot.campaign.name == "online"
    assert plot.original_path == f"{PERIOD}/Run080464/CDC_occupancy_0037.png"
    assert (plot.width, plot.height) == (48, 36)
    source = root / plot.original_path
    assert (media_root / plot.image).read_bytes() == source.read_bytes()
    assert plot.size_bytes == source.stat().st_size
    assert set(Run.objects.filter(experiment=experiment).values_list("number", flat=True)) == {80464, 80465, 80466}
    assert set(PlotType.objects.filter(experiment=experiment).values_list("name", flat=True)) == {
        "CDC_occupancy",
        "FCAL_energy",
    }
    assert_nothing_partial(media_root)


@pytest.mark.django_db
def test_the_summary_line_has_exactly_the_documented_format(tmp_path, experiment):
    root = hydra_tree(tmp_path / "in", runs=(1,), types=("A",))
    _, lines, _ = ingest(root, experiment)
    assert lines == [lines[-1]]
    assert re.fullmatch(r"ingested 1 new, 0 duplicate, 0 rejected in \d+\.\d s \(\d+ plots/s\)", lines[0])


@pytest.mark.django_db
def test_ingest_creates_the_experiment_with_default_classes_on_first_sight(tmp_path):
    root = hydra_tree(tmp_path / "in", runs=(5,), types=("A",))
    out = io.StringIO()
    call_command("ingest", str(root), experiment="ePIC", workers=1, stdout=out)
    assert out.getvalue().splitlines()[0] == "created experiment ePIC"
    epic = Experiment.objects.get(name="ePIC")
    assert set(epic.label_classes.values_list("name", flat=True)) == {"Good", "Bad", "NoData"}
    assert epic.plots.count() == 1


@pytest.mark.django_db
def test_reingesting_the_same_tree_adds_nothing(tmp_path, experiment, media_root):
    root = hydra_tree(tmp_path / "in", runs=(80464, 80465), chunks=(0, 1))
    assert ingest(root, experiment)[0] == (8, 0, 0)
    before = sorted(Plot.objects.values_list("id", "sha256", "image"))
    files_before = files_under(media_root)
    counts, _, errors = ingest(root, experiment)
    assert counts == (0, 8, 0)
    assert errors == []
    assert sorted(Plot.objects.values_list("id", "sha256", "image")) == before
    assert files_under(media_root) == files_before
    assert_nothing_partial(media_root)


@pytest.mark.django_db
def test_a_custom_pattern_with_a_campaign_group_files_plots_under_that_campaign(tmp_path, experiment, media_root):
    root = write_tree(
        tmp_path / "in",
        {
            "sim-2024/ver01/CDC_occupancy_run000000.png": factories.png_bytes(seed=1),
            "sim-2024/ver02/CDC_occupancy_run000000.png": factories.png_bytes(seed=2),
            "sim-2024/ver02/FCAL_energy_run000000.png": factories.png_bytes(seed=3),
        },
    )
    pattern = r"(?P<run_period>[^/]+)/(?P<campaign>[^/]+)/(?P<plot_type>.+)_run(?P<run>\d+)\.png$"
    counts, _, errors = ingest(root, experiment, pattern=pattern)
    assert counts == (3, 0, 0), errors
    assert set(Campaign.objects.filter(experiment=experiment).values_list("name", flat=True)) == {"ver01", "ver02"}
    assert Plot.objects.filter(campaign__name="ver02").count() == 2
    assert Run.objects.get(experiment=experiment, number=0).is_simulated
    assert Run.objects.get(experiment=experiment, number=0).run_period.name == "sim-2024"
    assert_nothing_partial(media_root)


@pytest.mark.django_db
def test_the_campaign_option_names_the_campaign_of_plots_whose_path_has_none(tmp_path, experiment):
    root = hydra_tree(tmp_path / "in", runs=(7,), types=("A",))
    ingest(root, experiment, campaign="recon-ver03")
    assert Plot.objects.get().campaign.name == "recon-ver03"


@pytest.mark.django_db
def test_image_files_that_do_not_match_the_layout_are_rejected_by_name_and_others_ignored(
    tmp_path, experiment, media_root
):
    root = hydra_tree(tmp_path / "in", runs=(1,), types=("A",))
    write_tree(root, {"loose.png": factories.png_bytes(seed=5), "README.txt": b"notes", ".hidden/x.png": b""})
    counts, _, errors = ingest(root, experiment)
    assert counts == (1, 0, 1)
    assert errors == ["rejected loose.png: path does not match the layout pattern"]
    assert_nothing_partial(media_root)


@pytest.mark.django_db
def test_a_single_file_can_be_ingested(tmp_path, experiment, media_root):
    root = hydra_tree(tmp_path / "in", runs=(80464,), types=("A", "B"))
    counts, _, errors = ingest(root / PERIOD / "Run080464" / "A.png", experiment)
    assert counts == (1, 0, 0), errors
    plot = Plot.objects.get()
    assert (plot.plot_type.name, plot.run_number, plot.run.run_period.name) == ("A", 80464, PERIOD)
    assert_nothing_partial(media_root)


@pytest.mark.django_db
def test_a_single_file_is_matched_by_a_custom_pattern_on_the_tail_of_its_path(tmp_path, experiment):
    root = write_tree(tmp_path / "in", {"sim-2024/ver02/CDC_occupancy_run000000.png": factories.png_bytes(seed=4)})
    pattern = r"^(?P<campaign>[^/]+)/(?P<plot_type>.+)_run(?P<run>\d+)\.png$"
    counts, _, errors = ingest(root / "sim-2024" / "ver02" / "CDC_occupancy_run000000.png", experiment, pattern=pattern)
    assert counts == (1, 0, 0), errors
    plot = Plot.objects.get()
    assert (plot.campaign.name, plot.plot_type.name, plot.run_number) == ("ver02", "CDC_occupancy", 0)
    assert plot.original_path == "ver02/CDC_occupancy_run000000.png"


@pytest.mark.django_db
def test_a_single_file_outside_the_layout_is_rejected_by_name(tmp_path, experiment):
    stray = write_tree(tmp_path / "in", {"stray.png": factories.png_bytes(seed=4)}) / "stray.png"
    counts, _, errors = ingest(stray, experiment)
    assert counts == (0, 0, 1)
    assert errors == [f"rejected {stray}: path does not match the layout pattern"]


# -- bad files ----------------------------------------------------------------------------------


def _flat_png(width, height) -> bytes:
    """Few bytes, many pixels."""
    out = io.BytesIO()
    Image.new("RGB", (width, height), (20, 40, 200)).save(out, "PNG")
    return out.getvalue()


BAD_FILES = {
    "corrupt": (corrupt_png, "corrupt or truncated image"),
    "truncated": (truncated_png, "corrupt or truncated image"),
    "empty": (lambda: b"", "empty file"),
    "text": (lambda: b"run 80464: all good, see logbook\n" * 20, "not an image"),
    "oversized": (lambda: factories.png_bytes(400, 300, 7), "over the limit of 50,000"),
    "too_many_pixels": (lambda: _flat_png(200, 200), "image is 200x200 pixels, over the limit of 10,000 pixels"),
}


@pytest.fixture
def strict_limits(settings):
    settings.MAX_IMAGE_BYTES = 50_000  # the good 48x36 plots are ~5 kB, "oversized" is ~360 kB
    settings.MAX_IMAGE_PIXELS = 10_000  # the good plots are 1,728 pixels, "too_many_pixels" 40,000
    return settings


@pytest.mark.django_db
@pytest.mark.parametrize("kind", list(BAD_FILES))
def test_a_bad_file_is_rejected_by_name_while_the_rest_goes_in(tmp_path, experiment, media_root, strict_limits, kind):
    make, reason = BAD_FILES[kind]
    root = hydra_tree(tmp_path / "in", runs=(80464, 80465), types=("CDC_occupancy",))
    bad = f"{PERIOD}/Run099999/Broken_{kind}_0003.png"
    write_tree(root, {bad: make()})

    counts, _, errors = ingest(root, experiment)

    assert counts == (2, 0, 1)
    assert len(errors) == 1
    assert errors[0].startswith(f"rejected {bad}: ")
    assert reason in errors[0]
    assert Plot.objects.count() == 2
    assert not PlotType.objects.filter(name__startswith="Broken").exists()
    assert not Run.objects.filter(number=99999).exists()
    assert_nothing_partial(media_root)


@pytest.mark.django_db
def test_a_batch_with_every_kind_of_bad_file_keeps_its_good_files(tmp_path, experiment, media_root, strict_limits):
    root = hydra_tree(tmp_path / "in", runs=(80464, 80465, 80466), types=("CDC_occupancy", "FCAL_energy"))
    bad = {}
    for i, (kind, (make, _reason)) in enumerate(BAD_FILES.items()):
        bad[f"{PERIOD}/Run0{70000 + i}/Broken_{kind}.png"] = make()
    write_tree(root, bad)

    counts, _, errors = ingest(root, experiment)

    assert counts == (6, 0, len(bad))
    assert sorted(e.split(": ")[0] for e in errors) == sorted(f"rejected {name}" for name in bad)
    assert not PlotType.objects.filter(name__startswith="Broken").exists()
    assert_nothing_partial(media_root)
    # Fixing the limits lets the big files in on the next run; the rest are still duplicates.
    strict_limits.MAX_IMAGE_BYTES = 10**7
    strict_limits.MAX_IMAGE_PIXELS = 10**7
    counts, _, errors = ingest(root, experiment)
    assert counts == (2, 6, 4)
    assert_nothing_partial(media_root)


@pytest.mark.django_db
def test_a_different_image_for_a_filled_slot_is_rejected(tmp_path, experiment, media_root):
    root = hydra_tree(tmp_path / "in", runs=(80464,), types=("CDC_occupancy", "FCAL_energy"))
    ingest(root, experiment)
    original = Plot.objects.get(plot_type__name="CDC_occupancy")
    (root / PERIOD / "Run080464" / "CDC_occupancy.png").write_bytes(factories.png_bytes(48, 36, 12345))

    counts, _, errors = ingest(root, experiment)

    assert counts == (0, 1, 1)
    assert errors == [f"rejected {PERIOD}/Run080464/CDC_occupancy.png: {SLOT_TAKEN} (sha256 {original.sha256})"]
    assert Plot.objects.get(plot_type__name="CDC_occupancy").sha256 == original.sha256
    assert_nothing_partial(media_root)


@pytest.mark.django_db
def test_two_files_for_one_slot_in_one_batch_keep_the_first(tmp_path, experiment, media_root):
    # Run periods are not part of the slot: the same run under two periods names one slot.
    root = write_tree(
        tmp_path / "in",
        {
            "P1/Run000001/A.png": factories.png_bytes(seed=1),
            "P2/Run000001/A.png": factories.png_bytes(seed=2),
            "P3/Run000001/A.png": factories.png_bytes(seed=1),
        },
    )
    counts, _, errors = ingest(root, experiment)
    assert counts == (1, 1, 1)
    first = Plot.objects.get()
    assert errors == [f"rejected P2/Run000001/A.png: {SLOT_TAKEN} (sha256 {first.sha256})"]
    assert first.original_path == "P1/Run000001/A.png"
    assert_nothing_partial(media_root)


@pytest.mark.django_db
def test_no_create_rejects_unknown_plot_types(tmp_path, experiment, media_root):
    factories.plot_type(experiment, "CDC_occupancy")
    factories.run(experiment, 80464, period=PERIOD)
    factories.campaign(experiment, "online")
    root = hydra_tree(tmp_path / "in", runs=(80464,), types=("CDC_occupancy", "Mystery_plot"))

    counts, _, errors = ingest(root, experiment, no_create=True)

    assert counts == (1, 0, 1)
    assert errors == [
        f"rejected {PERIOD}/Run080464/Mystery_plot.png: unknown plot type 'Mystery_plot' "
        "(create it first, or allow creation)"
    ]
    assert not PlotType.objects.filter(name="Mystery_plot").exists()
    assert_nothing_partial(media_root)


@pytest.mark.django_db
def test_no_create_rejects_unknown_runs_and_experiments(tmp_path, experiment, media_root):
    factories.plot_type(experiment, "CDC_occupancy")
    factories.campaign(experiment, "online")
    root = hydra_tree(tmp_path / "in", runs=(80464,), types=("CDC_occupancy",))
    counts, _, errors = ingest(root, experiment, no_create=True)
    assert counts == (0, 0, 1)
    assert "unknown run 80464" in errors[0]
    assert not Run.objects.exists()
    assert_nothing_partial(media_root)
    with pytest.raises(CommandError, match="unknown experiment 'Nobody'"):
        call_command("ingest", str(root), experiment="Nobody", no_create=True)


# -- storage ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_thumbnails_are_webp_of_the_configured_width(tmp_path, experiment, media_root, settings):
    root = write_tree(tmp_path / "in", {f"{PERIOD}/Run000001/Big.png": factories.png_bytes(640, 480, 1)})
    ingest(root, experiment)
    plot = Plot.objects.get()
    assert plot.thumbnail.endswith(".webp")
    with Image.open(media_root / plot.thumbnail) as thumb:
        assert thumb.format == "WEBP"
        assert thumb.size == (settings.THUMBNAIL_WIDTH, 240) == (320, 240)


@pytest.mark.django_db
def test_the_thumbnail_width_follows_the_setting(tmp_path, experiment, media_root, settings):
    settings.THUMBNAIL_WIDTH = 200
    root = write_tree(tmp_path / "in", {f"{PERIOD}/Run000001/Big.png": factories.png_bytes(500, 250, 1)})
    ingest(root, experiment)
    with Image.open(media_root / Plot.objects.get().thumbnail) as thumb:
        assert thumb.size == (200, 100)


@pytest.mark.django_db
def test_small_images_are_not_enlarged_for_their_thumbnail(tmp_path, experiment, media_root):
    root = write_tree(tmp_path / "in", {f"{PERIOD}/Run000001/Small.png": factories.png_bytes(100, 80, 1)})
    ingest(root, experiment)
    with Image.open(media_root / Plot.objects.get().thumbnail) as thumb:
        assert (thumb.format, thumb.size) == ("WEBP", (100, 80))


@pytest.mark.django_db
def test_images_are_stored_by_content_hash(tmp_path, experiment, media_root):
    data = factories.png_bytes(seed=3)
    root = write_tree(tmp_path / "in", {f"{PERIOD}/Run000001/A.png": data})
    ingest(root, experiment)
    plot = Plot.objects.get()
    digest = hashlib.sha256(data).hexdigest()
    assert plot.sha256 == digest
    assert plot.image == f"plots/{digest[:2]}/{digest[2:4]}/{digest}.png"
    assert plot.thumbnail == f"thumbs/{digest[:2]}/{digest[2:4]}/{digest}.webp"


@pytest.mark.django_db
def test_the_same_bytes_in_two_slots_share_one_file(tmp_path, experiment, media_root):
    data = factories.png_bytes(seed=42)
    root = write_tree(
        tmp_path / "in",
        {f"{PERIOD}/Run000001/A.png": data, f"{PERIOD}/Run000002/A.png": data, f"{PERIOD}/Run000001/B.png": data},
    )
    counts, _, _ = ingest(root, experiment)
    assert counts == (3, 0, 0)
    plots = list(Plot.objects.all())
    assert len({p.image for p in plots}) == 1
    assert len({p.thumbnail for p in plots}) == 1
    assert len(files_under(media_root / "plots")) == 1
    assert len(files_under(media_root / "thumbs")) == 1
    assert_nothing_partial(media_root)


@pytest.mark.django_db
def test_a_rejected_copy_of_a_stored_file_leaves_the_shared_file_in_place(tmp_path, experiment, media_root):
    factories.plot_type(experiment, "Known")
    factories.run(experiment, 1)
    factories.campaign(experiment, "online")
    data = factories.png_bytes(seed=11)
    # "Another" sorts first: its copy is written first and then rejected, "Known" reuses the file.
    root = write_tree(tmp_path / "in", {"P/Run000001/Another.png": data, "P/Run000001/Known.png": data})
    counts, _, _ = ingest(root, experiment, no_create=True)
    assert counts == (1, 0, 1)
    assert_nothing_partial(media_root)


def _pool_tree(root: Path) -> Path:
    hydra_tree(root, runs=range(1000, 1010), types=("CDC_occupancy", "FCAL_energy", "TOF_hits"))
    write_tree(root, {f"{PERIOD}/Run001000/Broken.png": truncated_png(), f"{PERIOD}/Run001001/Empty.png": b""})
    return root


def _snapshot(experiment):
    return sorted(
        Plot.objects.filter(experiment=experiment).values_list(
            "plot_type__name", "run_number", "chunk", "sha256", "image", "thumbnail", "width", "height", "size_bytes"
        )
    )


@pytest.mark.django_db
def test_the_process_pool_gives_the_same_result_as_one_process(tmp_path, settings):
    root = _pool_tree(tmp_path / "in")
    results = {}
    for workers in (1, 2):
        settings.MEDIA_ROOT = tmp_path / f"media-{workers}"
        settings.MEDIA_ROOT.mkdir()
        exp = factories.experiment(f"Pool {workers}")
        with Ingestor(exp, workers=workers) as ingestor:
            report = ingestor.ingest(crawl(str(root), compile_layout(None)))
            used_pool = ingestor._pool is not None
        results[workers] = (
            [(o.name, o.status, o.reason) for o in report.outcomes],
            _snapshot(exp),
            {rel: (settings.MEDIA_ROOT / rel).read_bytes() for rel in files_under(settings.MEDIA_ROOT)},
            used_pool,
        )
        assert_nothing_partial(settings.MEDIA_ROOT, Plot.objects.filter(experiment=exp))
    outcomes_1, rows_1, files_1, pool_1 = results[1]
    outcomes_2, rows_2, files_2, pool_2 = results[2]
    assert (pool_1, pool_2) == (False, True)
    assert len(rows_1) == 30
    assert sum(1 for o in outcomes_1 if o[1] == "rejected") == 2
    assert outcomes_2 == outcomes_1
    assert rows_2 == rows_1
    assert files_2 == files_1


# -- what other apps hear -----------------------------------------------------------------------


@pytest.mark.django_db
def test_the_plots_ingested_signal_carries_the_new_plots(tmp_path, experiment):
    heard = []

    def receiver(sender, plots, experiment, **kwargs):
        heard.append((sender, [p.pk for p in plots], experiment))

    plots_ingested.connect(receiver)
    try:
        root = hydra_tree(tmp_path / "in", runs=(1, 2), types=("A",))
        ingest(root, experiment)
        ingest(root, experiment)  # nothing new: no signal
    finally:
        plots_ingested.disconnect(receiver)
    assert len(heard) == 1
    sender, ids, exp = heard[0]
    assert sender is Plot
    assert sorted(ids) == sorted(Plot.objects.values_list("id", flat=True))
    assert all(ids)
    assert exp == experiment


@pytest.fixture
def restore_roles(django_db_blocker):
    """A transactional test flushes the database, roles included; put them back for the tests after it."""
    yield
    with django_db_blocker.unblock():
        factories.restore_roles()


def test_a_plots_created_event_reaches_the_channel_layer_after_commit(
    restore_roles, transactional_db, tmp_path, settings
):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)("hydra.plots", channel)
    exp = factories.experiment("GlueX")
    root = hydra_tree(tmp_path / "in", runs=(80464, 80465), types=("A", "B"))

    counts, _, _ = ingest(root, exp)

    assert counts == (4, 0, 0)

    async def receive():
        import asyncio

        return await asyncio.wait_for(layer.receive(channel), timeout=5)

    message = async_to_sync(receive)()
    assert message["type"] == "hydra.event"
    assert message["event"] == "plots.created"
    payload = message["payload"]
    assert sorted(payload["ids"]) == sorted(Plot.objects.values_list("id", flat=True))
    assert payload["experiment"] == "gluex"
    assert payload["runs"] == [80464, 80465]
    assert payload["plot_types"] == sorted(PlotType.objects.values_list("id", flat=True))
    async_to_sync(layer.group_discard)("hydra.plots", channel)


def test_hydra_layout_constant_is_the_default_pattern():
    assert compile_layout(None).pattern == HYDRA_LAYOUT
