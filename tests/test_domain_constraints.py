"""The database keeps the domain honest: unique runs, slots, classes, grants, and the four roles."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from apps.accounts.roles import ADMIN, ADMIN_APPS, DETECTOR_EXPERT, LABELER, VIEWER
from apps.experiments.models import Run
from apps.labels.choices import BAD_COLOUR, Meaning
from apps.labels.models import LabelClass, LabelingGrant
from apps.plots.models import Plot
from tests import factories

pytestmark = pytest.mark.django_db


def _perms(group_name: str) -> set[str]:
    group = Group.objects.get(name=group_name)
    return {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")}


# -- runs -------------------------------------------------------------------------------------


def test_a_run_number_is_unique_within_an_experiment(experiment):
    factories.run(experiment, 80464)
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.run(experiment, 80464, period="RunPeriod-2022-05")
    assert Run.objects.filter(experiment=experiment, number=80464).count() == 1


def test_the_same_run_number_is_allowed_in_two_experiments(experiment):
    other = factories.experiment("CLAS12")
    factories.run(experiment, 80464)
    factories.run(other, 80464)
    assert Run.objects.filter(number=80464).count() == 2


def test_run_zero_marks_a_simulated_run(experiment):
    assert factories.run(experiment, 0).is_simulated
    assert not factories.run(experiment, 1).is_simulated


# -- plots ------------------------------------------------------------------------------------


def test_a_plot_slot_is_unique(experiment):
    ptype = factories.plot_type(experiment, "CDC_occupancy")
    run = factories.run(experiment, 1000)
    first = factories.plot(ptype, run, chunk=3, seed=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.plot(ptype, run, first.campaign, chunk=3, seed=2)
    assert Plot.objects.filter(plot_type=ptype, run=run).count() == 1


def test_the_same_slot_in_another_chunk_or_campaign_is_allowed(experiment):
    ptype = factories.plot_type(experiment, "CDC_occupancy")
    run = factories.run(experiment, 1000)
    factories.plot(ptype, run, chunk=0, seed=1)
    factories.plot(ptype, run, chunk=1, seed=2)
    factories.plot(ptype, run, factories.campaign(experiment, "ver05"), chunk=0, seed=3)
    assert Plot.objects.filter(plot_type=ptype, run=run).count() == 3


# -- label classes ----------------------------------------------------------------------------


def test_every_new_experiment_gets_good_bad_and_nodata(experiment):
    names = set(LabelClass.objects.filter(experiment=experiment).values_list("name", flat=True))
    assert names == {"Good", "Bad", "NoData"}
    assert factories.label_class(experiment, "Bad").colour == BAD_COLOUR


def test_a_label_class_name_is_unique_within_an_experiment(experiment):
    with pytest.raises(IntegrityError), transaction.atomic():
        LabelClass.objects.create(experiment=experiment, name="Good", hotkey="")
    other = factories.experiment()
    assert LabelClass.objects.filter(name="Good", experiment__in=[experiment, other]).count() == 2


def test_a_hotkey_is_unique_within_an_experiment_when_set(experiment):
    great = LabelClass(experiment=experiment, name="Great", hotkey="g")
    with pytest.raises(ValidationError) as exc:
        great.full_clean()
    assert "unique_label_class_hotkey" in exc.value.message_dict["__all__"][0]
    # MySQL/MariaDB have no partial unique indexes: there the check lives in validation only.
    if connection.features.supports_partial_indexes:
        with pytest.raises(IntegrityError), transaction.atomic():
            great.save()
    other = factories.experiment()
    LabelClass(experiment=other, name="Great", hotkey="x").full_clean()


def test_many_classes_may_have_no_hotkey(experiment):
    LabelClass.objects.create(experiment=experiment, name="Cosmic", hotkey="")
    LabelClass.objects.create(experiment=experiment, name="LED", hotkey="")
    assert LabelClass.objects.filter(experiment=experiment, hotkey="").count() == 2


def test_red_is_reserved_for_bad_classes(experiment):
    hot = LabelClass(experiment=experiment, name="HotChannel", colour=BAD_COLOUR, meaning=Meaning.OTHER)
    with pytest.raises(ValidationError) as exc:
        hot.full_clean()
    assert "Red is reserved for Bad classes." in exc.value.message_dict["colour"]
    hot.colour = BAD_COLOUR.upper()
    with pytest.raises(ValidationError):
        hot.full_clean()
    very_bad = LabelClass(experiment=experiment, name="VeryBad", colour=BAD_COLOUR, meaning=Meaning.BAD)
    very_bad.full_clean()


def test_a_colour_must_be_a_hex_colour(experiment):
    with pytest.raises(ValidationError) as exc:
        LabelClass(experiment=experiment, name="Cosmic", colour="blue").full_clean()
    assert "colour" in exc.value.message_dict


# -- labeling grants --------------------------------------------------------------------------


def _grant_parts(experiment):
    return {
        "user": factories.user(),
        "group": Group.objects.get(name=LABELER),
        "plot_type": factories.plot_type(experiment),
        "plot_group": factories.plot_group(experiment),
    }


@pytest.mark.parametrize(
    "fields",
    [
        ("user", "group", "plot_type"),  # both a user and a group
        ("plot_type",),  # neither a user nor a group
        ("user", "plot_type", "plot_group"),  # both a plot type and a plot group
        ("user",),  # neither a plot type nor a plot group
    ],
)
def test_a_grant_goes_to_exactly_one_of_user_or_group_on_exactly_one_of_type_or_group(experiment, fields):
    parts = _grant_parts(experiment)
    grant = LabelingGrant(**{f: parts[f] for f in fields})
    with pytest.raises(ValidationError):
        grant.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        grant.save()
    assert not LabelingGrant.objects.exists()


@pytest.mark.parametrize(
    "fields",
    [("user", "plot_type"), ("user", "plot_group"), ("group", "plot_type"), ("group", "plot_group")],
)
def test_a_grant_to_one_holder_on_one_target_is_accepted(experiment, fields):
    parts = _grant_parts(experiment)
    grant = LabelingGrant(**{f: parts[f] for f in fields})
    grant.full_clean()
    grant.save()
    assert LabelingGrant.objects.count() == 1


# -- roles ------------------------------------------------------------------------------------


def test_the_roles_migration_created_the_four_roles(db):
    assert set(Group.objects.values_list("name", flat=True)) >= {ADMIN, DETECTOR_EXPERT, LABELER, VIEWER}


def test_a_viewer_may_only_view():
    perms = _perms(VIEWER)
    assert {"plots.view_plot", "plots.view_plottype", "labels.view_label", "experiments.view_run"} <= perms
    assert all(p.split(".")[1].startswith("view_") for p in perms)


def test_a_labeler_may_view_and_add_labels_but_not_change_plot_types():
    perms = _perms(LABELER)
    assert _perms(VIEWER) < perms
    assert perms - _perms(VIEWER) == {"labels.add_label"}
    assert "plots.change_plottype" not in perms


def test_a_detector_expert_may_also_edit_plot_types_and_label_classes():
    perms = _perms(DETECTOR_EXPERT)
    assert _perms(LABELER) < perms
    assert {"plots.change_plottype", "plots.add_plot", "labels.change_labelclass"} <= perms
    assert "auth.change_user" not in perms
    assert "plots.delete_plot" not in perms


def test_an_admin_holds_every_permission_of_the_portal_and_of_auth():
    perms = _perms(ADMIN)
    every = {
        f"{p.content_type.app_label}.{p.codename}"
        for p in Permission.objects.filter(content_type__app_label__in=ADMIN_APPS).select_related("content_type")
    }
    assert perms == every
    assert {"auth.change_user", "plots.delete_plot", "labels.delete_labelclass", "jobs.change_job"} <= perms


def test_a_user_in_a_role_has_its_permissions():
    viewer = factories.user(roles=[VIEWER])
    expert = factories.user(roles=[DETECTOR_EXPERT])
    assert viewer.has_perm("plots.view_plot") and not viewer.has_perm("labels.add_label")
    assert expert.has_perm("labels.add_label") and expert.has_perm("plots.change_plottype")
