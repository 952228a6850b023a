"""Keyset pagination over the plot FilterSet: every plot once, in order, both ways; and the filters."""

import pytest
from django.http import QueryDict

from apps.core.pagination import BadCursor, decode_cursor, encode_cursor, paginate
from apps.plots.filtersets import CONFIDENCE_SORTS, DEFAULT_SORT, SORTS, PlotFilterSet
from apps.plots.models import Plot
from tests import factories

pytestmark = pytest.mark.django_db

PAGE = 4


@pytest.fixture
def plots(experiment):
    """Fifteen plots over three types, two campaigns and runs with ties, so every order has equal keys to break."""
    types = [factories.plot_type(experiment, name) for name in ("TOF_hits", "CDC_occupancy", "FCAL_energy")]
    runs = [factories.run(experiment, n) for n in (80470, 80464, 80466, 80465, 80468)]
    ver01 = factories.campaign(experiment, "ver01")
    made = []
    for i, run in enumerate(runs):
        for t, ptype in enumerate(types):
            made.append(factories.plot(ptype, run, ver01 if (i + t) % 4 == 0 else None, seed=100 * i + t))
    return made


def filterset(params: str = ""):
    return PlotFilterSet(QueryDict(params), queryset=Plot.objects.all())


def walk_forward(qs, order):
    pages, cursor = [], None
    while True:
        page = paginate(qs, order, cursor, PAGE)
        pages.append(page)
        if page.next_cursor is None:
            return pages
        cursor = page.next_cursor
        assert len(pages) < 50, "pagination does not end"


# -- walking ----------------------------------------------------------------------------------


@pytest.mark.parametrize("sort", list(SORTS))
def test_walking_forward_visits_every_plot_once_in_the_sort_order(plots, sort):
    if sort in CONFIDENCE_SORTS:
        # Five confidence values over fifteen plots: ties must be broken by id across page edges.
        for i, plot in enumerate(plots):
            Plot.objects.filter(pk=plot.pk).update(verdict_confidence=(i % 5) / 5)
    fs = filterset(f"sort={sort}")
    assert fs.form.is_valid() and fs.sort_key == sort
    order = SORTS[sort]
    pages = walk_forward(fs.qs, order)

    seen = [p.pk for page in pages for p in page.rows]
    assert len(seen) == len(set(seen)) == len(plots) == 15
    assert seen == list(Plot.objects.order_by(*order).values_list("pk", flat=True))
    assert [len(page.rows) for page in pages] == [4, 4, 4, 3]
    assert pages[0].prev_cursor is None
    assert all(page.prev_cursor for page in pages[1:])


@pytest.mark.parametrize("sort", list(SORTS))
def test_walking_backwards_returns_the_previous_pages(plots, sort):
    for i, plot in enumerate(plots):
        Plot.objects.filter(pk=plot.pk).update(verdict_confidence=(i % 5) / 5)
    order = SORTS[sort]
    qs = filterset(f"sort={sort}").qs
    forward = walk_forward(qs, order)
    back = [forward[-1]]
    while back[-1].prev_cursor:
        back.append(paginate(qs, order, back[-1].prev_cursor, PAGE, backwards=True))
    assert [[p.pk for p in page.rows] for page in reversed(back)] == [[p.pk for p in page.rows] for page in forward]
    # A page reached backwards points forward again to the page it came from.
    again = paginate(qs, order, back[1].next_cursor, PAGE)
    assert [p.pk for p in again.rows] == [p.pk for p in forward[-1].rows]
    assert back[-1].prev_cursor is None


def test_the_plot_type_sort_is_type_then_newest_run_first(plots):
    rows = [p for page in walk_forward(Plot.objects.all(), SORTS["plot_type"]) for p in page.rows]
    keys = [(p.plot_type_id, -p.run_number, -p.pk) for p in rows]
    assert keys == sorted(keys)


def test_the_default_sort_is_newest_run_first(plots):
    fs = filterset("")
    assert fs.sort_key == DEFAULT_SORT == "-run"
    first = paginate(fs.qs, SORTS[fs.sort_key], None, PAGE).rows[0]
    assert first.run_number == 80470


def test_an_empty_result_has_no_cursors(experiment):
    page = paginate(Plot.objects.all(), SORTS["-run"], None, PAGE)
    assert (page.rows, page.next_cursor, page.prev_cursor) == ([], None, None)


def test_a_cursor_round_trips():
    assert decode_cursor(encode_cursor([80464, 12]), 2) == [80464, 12]


@pytest.mark.parametrize(
    "cursor",
    ["garbage!", "bm90IGpzb24", encode_cursor([1, 2, 3]), encode_cursor(["a", "b"]), encode_cursor({"a": 1}), "%%%"],
)
def test_a_garbage_cursor_raises_bad_cursor(plots, cursor):
    with pytest.raises(BadCursor):
        paginate(Plot.objects.all(), SORTS["-run"], cursor, PAGE)


# -- filters ----------------------------------------------------------------------------------


def ids(fs) -> set[int]:
    assert fs.form.is_valid(), fs.form.errors
    return set(fs.qs.values_list("pk", flat=True))


def test_run_min_and_run_max_bound_the_run_numbers(plots):
    assert {p.run_number for p in Plot.objects.filter(pk__in=ids(filterset("run_min=80465&run_max=80468")))} == {
        80465,
        80466,
        80468,
    }
    assert {Plot.objects.get(pk=pk).run_number for pk in ids(filterset("run=80464"))} == {80464}


def test_plot_type_takes_several_values(plots):
    tof, cdc, _fcal = plots[0].plot_type, plots[1].plot_type, plots[2].plot_type
    expected = {p.pk for p in plots if p.plot_type in (tof, cdc)}
    assert ids(filterset(f"plot_type={tof.pk}&plot_type={cdc.pk}")) == expected
    assert len(expected) == 10


def test_a_super_group_selects_plot_types_of_groups_inside_it(experiment, plots):
    tof, cdc, fcal = plots[0].plot_type, plots[1].plot_type, plots[2].plot_type
    physics = factories.plot_group(experiment, "Physics")
    tracking = factories.plot_group(experiment, "Tracking", parents=[physics])
    factories.plot_group(experiment, "Drift", types=[cdc], parents=[tracking])
    factories.plot_group(experiment, "Timing", types=[tof], parents=[physics])
    calo = factories.plot_group(experiment, "Calorimeters", types=[fcal])
    assert ids(filterset(f"group={physics.pk}")) == {p.pk for p in plots if p.plot_type in (tof, cdc)}
    assert ids(filterset(f"group={tracking.pk}")) == {p.pk for p in plots if p.plot_type == cdc}
    assert ids(filterset(f"group={calo.pk}")) == {p.pk for p in plots if p.plot_type == fcal}


def test_label_filters_unlabeled_or_one_class(experiment, plots):
    from apps.labels.services import apply_labels

    good, bad = factories.label_class(experiment, "Good"), factories.label_class(experiment, "Bad")
    apply_labels([(plots[0], good), (plots[1], bad), (plots[2], bad)])
    assert ids(filterset(f"label={bad.pk}")) == {plots[1].pk, plots[2].pk}
    assert ids(filterset(f"label={good.pk}")) == {plots[0].pk}
    assert ids(filterset("label=unlabeled")) == {p.pk for p in plots[3:]}


def test_campaign_and_detector_filter(experiment, plots):
    ver01 = factories.campaign(experiment, "ver01")
    assert ids(filterset(f"campaign={ver01.pk}")) == {p.pk for p in plots if p.campaign == ver01}
    assert 0 < len(ids(filterset(f"campaign={ver01.pk}"))) < len(plots)
    cdc = plots[1].plot_type
    cdc.detector = "CDC"
    cdc.save()
    assert ids(filterset("detector=CDC")) == {p.pk for p in plots if p.plot_type == cdc}


def test_filters_combine(experiment, plots):
    cdc = plots[1].plot_type
    expected = {p.pk for p in plots if p.plot_type == cdc and p.run_number >= 80466}
    assert ids(filterset(f"plot_type={cdc.pk}&run_min=80466&sort=run")) == expected
    assert len(expected) == 3


def test_the_experiment_filter_takes_a_slug(experiment, plots):
    other = factories.experiment("CLAS12")
    theirs = factories.plot(factories.plot_type(other))
    assert ids(filterset(f"experiment={other.slug}")) == {theirs.pk}
    assert ids(filterset(f"experiment={experiment.slug}")) == {p.pk for p in plots}


def test_plots_of_ignored_plot_types_are_never_listed(plots):
    tof = plots[0].plot_type
    tof.ignored = True
    tof.save()
    assert ids(filterset("")) == {p.pk for p in plots if p.plot_type != tof}


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ("run_min=abc", "run_min", "Enter a number."),
        ("run_max=-1", "run_max", "greater than or equal to 0"),
        ("label=xyz", "label", "Use a label class id or 'unlabeled'."),
        ("plot_type=999999", "plot_type", "Select a valid choice."),
        ("group=abc", "group", "Select a valid choice."),
        ("sort=sideways", "sort", "Select a valid choice."),
    ],
)
def test_an_invalid_value_makes_the_form_invalid_with_a_message(plots, params, field, message):
    fs = filterset(params)
    assert not fs.form.is_valid()
    assert message in " ".join(fs.form.errors[field])
    assert fs.sort_key == DEFAULT_SORT


def test_confidence_sorts_list_only_classified_plots(plots):
    Plot.objects.filter(pk__in=[p.pk for p in plots[:4]]).update(verdict_confidence=0.5)
    fs = filterset("sort=-confidence")
    assert sorted(p.pk for p in walk_forward(fs.qs, SORTS["-confidence"])[0].rows) == sorted(p.pk for p in plots[:4])


def test_verdict_confirmed_and_confidence_filters(plots):
    exp = plots[0].experiment
    bad = factories.label_class(exp, "Bad")
    Plot.objects.filter(pk=plots[0].pk).update(verdict_class=bad, verdict_confidence=0.97, verdict_confirmed=True)
    Plot.objects.filter(pk=plots[1].pk).update(verdict_class=bad, verdict_confidence=0.55, verdict_confirmed=False)
    assert {p.pk for p in filterset(f"verdict={bad.pk}").qs} == {plots[0].pk, plots[1].pk}
    assert {p.pk for p in filterset(f"verdict={bad.pk}&confirmed=false").qs} == {plots[1].pk}
    assert {p.pk for p in filterset("confidence_min=0.9").qs} == {plots[0].pk}
    assert filterset("verdict=none").qs.count() == len(plots) - 2
    assert not filterset("verdict=bad").form.is_valid()
    assert not filterset("confidence_max=7").form.is_valid()
