"""The condition language: what parses, what it means (in Python and in SQL alike), and clear errors."""

import pytest

from apps.experiments.condition_values import check_conditions
from apps.experiments.conditions import ConditionError, parse, tokenize
from apps.experiments.production import matching_runs, run_ids_matching
from tests import factories as f

RUNS = {
    10: {"beam_current": 150.0, "run_type": "production", "is_production": True, "target": "LH2"},
    11: {"beam_current": 80, "run_type": "Production", "is_production": True, "target": "LD2"},
    12: {"beam_current": 200, "run_type": "cosmic", "is_production": False},
    13: {"run_type": "test", "radiator_id": 0},
    14: {},
}

CASES = [
    ("beam_current > 100", {10, 12}),
    ("beam_current >= 80 and beam_current <= 150", {10, 11}),
    ("beam_current == 150", {10}),
    ("beam_current != 150", {11, 12}),
    ("beam_current < 100.5", {11}),
    ('run_type == "production"', {10, 11}),  # strings compare without regard to case
    ("run_type != 'production'", {12, 13}),
    ('beam_current > 100 and run_type == "production"', {10}),
    ('beam_current > 100 or run_type == "test"', {10, 12, 13}),
    ("not beam_current > 100", {11, 13, 14}),
    ("@is_production", {10, 11}),
    ("is_production", {10, 11}),
    ("is_production == true", {10, 11}),
    ("is_production == false", {12}),
    ("not @is_production", {12, 13, 14}),
    ('target in ("lh2", "LD2")', {10, 11}),
    ('target not in ("LH2")', {11, 12, 13, 14}),
    ("radiator_id in (0, 5)", {13}),
    ('(run_type == "cosmic" or run_type == "test") and not beam_current > 100', {13}),
    ("@is_production and (beam_current > 100 or target == 'LD2')", {10, 11}),
    ("NOT beam_current > 100 AND run_type == 'test'", {13}),
    ("beam_current > 1e2", {10, 12}),
    ("beam_current > -5 and beam_current < +1000", {10, 11, 12}),
    ("missing_name == 1", set()),
    ("run_type > 0", set()),  # a number never matches a string value
]


@pytest.fixture
def runs(db):
    exp = f.experiment("Cond")
    other = f.experiment("Other")
    made = {n: f.run(exp, n, conditions=c) for n, c in RUNS.items()}
    f.run(other, 10, conditions=RUNS[10])  # same conditions in another experiment
    return exp, made


@pytest.mark.parametrize("text,expected", CASES)
def test_database_and_python_agree(runs, text, expected):
    exp, made = runs
    by_id = {r.pk: n for n, r in made.items()}
    chosen = {by_id[pk] for pk in run_ids_matching(text, exp)}  # sets of ids from index scans
    assert chosen == expected
    assert {by_id[pk] for pk in matching_runs(text, exp).values_list("id", flat=True)} == expected  # subqueries
    assert {n for n, r in made.items() if parse(text).matches(r.conditions)} == expected


def test_without_experiment_every_experiment_counts(runs):
    assert matching_runs("beam_current == 150").count() == 2


BAD = [
    ("", "empty"),
    ("beam_current >", "expected a number"),
    ("beam_current = 5", "use “==”"),
    ("beam_current > 5 and", "expected a condition name"),
    ("(beam_current > 5", "expected “)”"),
    ("beam_current > 5)", "expected “and”, “or” or the end"),
    ('run_type == "production', "not closed"),
    ("run_type < 'a'", "strings compare with ==, != and in only"),
    ("beam_current > 5 beam", "expected “and”, “or” or the end"),
    ("x in 1, 2", "expected “(”"),
    ("x in (1 2)", "expected “,” or “)”"),
    ("x ~ 1", "unexpected character “~”"),
    ("@ 5", "after “@”"),
    ("1 > beam_current", "expected a condition name"),
    ("x > 1e999", "too large"),
    ("__import__('os').system('true')", "unexpected character “.”"),
    ("__import__ ('os')", "expected a comparison"),
    ("x == 1; DROP TABLE runs", "unexpected character “;”"),
    ("x" * 101 + " == 1", "at most 100"),
    ("(" * 40 + "x == 1" + ")" * 40, "nested more than"),
    (" or ".join(["x == 1"] * 70), "more than 64"),
    ("a" * 3000, "longer than"),
]


@pytest.mark.parametrize("text,reason", BAD)
def test_bad_expressions_say_where_and_why(text, reason):
    with pytest.raises(ConditionError) as info:
        parse(text)
    assert reason in str(info.value)
    assert str(info.value).startswith("Bad condition")


def test_error_points_at_the_character():
    with pytest.raises(ConditionError) as info:
        parse("beam_current > 100 and run_type = 'x'")
    assert info.value.position == 32
    assert "at character 33" in str(info.value)


def test_quotes_and_escapes_stay_data(runs):
    exp, made = runs
    made[13].conditions["note"] = "it's \"odd\" ') or 1=1 --"
    made[13].save()
    text = "note == 'it\\'s \"odd\" \\') or 1=1 --'"
    assert tokenize(text)[2].value == "it's \"odd\" ') or 1=1 --"
    assert run_ids_matching(text, exp) == [made[13].pk]
    assert run_ids_matching('note == "\') or 1=1 --"', exp) == []


def test_check_conditions():
    assert check_conditions({"a": 1, "b": "x", "c": True, "d": None, "e": 1.5}) == {
        "a": 1,
        "b": "x",
        "c": True,
        "d": None,
        "e": 1.5,
    }
    with pytest.raises(ValueError, match="list or object"):
        check_conditions({"a": [1]})
    with pytest.raises(ValueError, match="must start with a letter"):
        check_conditions({"a b": 1})
    with pytest.raises(ValueError, match="JSON object"):
        check_conditions([1])


def test_index_follows_saves(runs):
    exp, made = runs
    run = made[14]
    assert run_ids_matching("beam_current > 0", exp) == sorted(r.pk for n, r in made.items() if n in (10, 11, 12))
    run.conditions = {"beam_current": 5}
    run.save()
    assert run.pk in run_ids_matching("beam_current == 5", exp)
    run.conditions = {}
    run.save()
    assert run_ids_matching("beam_current == 5", exp) == []
    assert run.condition_rows.count() == 0


def test_values_out_of_range_are_refused_or_not_indexed(runs):
    exp, made = runs
    with pytest.raises(ValueError, match="too large"):
        check_conditions({"a": 10**400})
    with pytest.raises(ValueError, match="longer than"):
        check_conditions({"a": "x" * 10_001})
    run = made[14]
    run.conditions = {"huge": 10**400, "long": "y" * 300, "ok": 2}
    run.save()  # stored, but only what can be searched is indexed
    assert sorted(run.condition_rows.values_list("name", flat=True)) == ["ok"]
    assert not parse("huge > 0").matches(run.conditions) and parse("ok == 2").matches(run.conditions)


def test_a_stored_bad_production_expression_is_ignored(runs):
    from apps.experiments.models import Experiment
    from apps.experiments.production import run_is_production, special_run_ids

    exp, made = runs
    Experiment.objects.filter(pk=exp.pk).update(production_conditions="beam_current >")
    exp.refresh_from_db()
    assert run_is_production(made[13], exp) and special_run_ids(exp, [made[13].pk]) == set()


def test_run_choices_are_cached_for_page_cache_seconds(runs, settings, django_assert_num_queries):
    from apps.experiments.production import choose_runs_cached

    exp, made = runs
    settings.PAGE_CACHE_SECONDS = 5
    first = choose_runs_cached("beam_current > 100", exp)
    with django_assert_num_queries(0):
        again = choose_runs_cached(" beam_current > 100", exp)
    assert again.chosen == first.chosen == {made[10].pk: 10, made[12].pk: 12}
    settings.PAGE_CACHE_SECONDS = 0
    with django_assert_num_queries(2):  # the experiment's runs, one scan for the comparison
        choose_runs_cached("beam_current > 100", exp)
