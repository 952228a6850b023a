"""Saving labels: history kept, newest is current, invalid classes and missing grants write nothing."""

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError

from apps.accounts.roles import ADMIN, LABELER, VIEWER
from apps.labels.models import Label, LabelClass, LabelingGrant
from apps.labels.permissions import can_label, labelable_plot_type_ids
from apps.labels.services import apply_labels, erase_labels
from apps.plots.models import Plot
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def cdc(experiment):
    return factories.plot_type(experiment, "CDC_occupancy")


@pytest.fixture
def good(experiment):
    return factories.label_class(experiment, "Good")


@pytest.fixture
def bad(experiment):
    return factories.label_class(experiment, "Bad")


def fresh(plot):
    return Plot.objects.get(pk=plot.pk)


# -- history and the current label ---------------------------------------------------------------


def test_apply_labels_keeps_every_submission_and_the_newest_is_current(cdc, good, bad):
    plot = factories.plot(cdc)
    shifter, expert = factories.user(), factories.user()
    apply_labels([(plot, good)], user=shifter, comment="looks fine")
    apply_labels([(plot, bad)], user=expert, comment="dead sector at 3 o'clock")

    history = list(Label.objects.filter(plot=plot))  # newest first
    assert [(lab.label_class, lab.user, lab.comment) for lab in history] == [
        (bad, expert, "dead sector at 3 o'clock"),
        (good, shifter, "looks fine"),
    ]
    current = fresh(plot)
    assert current.label_class == bad
    assert current.labeled_at is not None
    assert current.labeled_at >= history[1].created_at


def test_apply_labels_labels_a_whole_batch_and_updates_the_plot_objects_given(cdc, good, bad):
    plots = [factories.plot(cdc) for _ in range(4)]
    created = apply_labels([(plots[0], good), (plots[1], bad), (plots[2], good)], user=factories.user())
    assert len(created) == 3 and all(lab.pk for lab in created)
    assert [fresh(p).label_class for p in plots] == [good, bad, good, None]
    assert plots[1].label_class == bad  # the caller's objects follow too


def test_a_plot_labeled_twice_in_one_batch_ends_with_its_last_class(cdc, good, bad):
    painted_twice, other = factories.plot(cdc), factories.plot(cdc)
    apply_labels([(other, bad), (painted_twice, good), (painted_twice, bad), (other, good)])
    for plot in (painted_twice, other):
        newest = Label.objects.filter(plot=plot).first()
        assert fresh(plot).label_class == newest.label_class
    assert fresh(painted_twice).label_class == bad
    assert fresh(other).label_class == good


def test_apply_labels_with_nothing_to_do_writes_nothing():
    assert apply_labels([]) == []
    assert not Label.objects.exists()


def test_a_class_not_valid_for_the_plot_type_is_refused_and_nothing_is_written(experiment, cdc, good, bad):
    cdc.label_classes.set([good, bad])
    hot = LabelClass.objects.create(experiment=experiment, name="HotChannel", colour="#ff9f1c")
    ok, wrong = factories.plot(cdc), factories.plot(cdc)
    with pytest.raises(ValidationError, match="HotChannel is not a valid class for CDC_occupancy"):
        apply_labels([(ok, good), (wrong, hot)])
    assert not Label.objects.exists()
    assert fresh(ok).label_class is None


def test_a_class_of_another_experiment_is_refused(cdc):
    other = factories.experiment("CLAS12")
    with pytest.raises(ValidationError):
        apply_labels([(factories.plot(cdc), factories.label_class(other, "Good"))])
    assert not Label.objects.exists()


def test_a_plot_type_without_chosen_classes_accepts_all_of_its_experiments(experiment, cdc):
    cosmic = LabelClass.objects.create(experiment=experiment, name="Cosmic", colour="#7048e8")
    plot = factories.plot(cdc)
    apply_labels([(plot, cosmic)])
    assert fresh(plot).label_class == cosmic


# -- permissions ------------------------------------------------------------------------------


def test_a_user_without_a_grant_is_refused_and_nothing_is_written(cdc, good):
    plot = factories.plot(cdc)
    labeler = factories.user(roles=[LABELER])
    with pytest.raises(PermissionDenied, match="you may not label CDC_occupancy"):
        apply_labels([(plot, good)], user=labeler, check_permission=True)
    assert not Label.objects.exists()
    assert fresh(plot).label_class is None


def test_an_anonymous_or_inactive_user_may_not_label(cdc, good):
    plot = factories.plot(cdc)
    with pytest.raises(PermissionDenied):
        apply_labels([(plot, good)], user=None, check_permission=True)
    sleeper = factories.user(is_active=False)
    LabelingGrant.objects.create(user=sleeper, plot_type=cdc)
    with pytest.raises(PermissionDenied):
        apply_labels([(plot, good)], user=sleeper, check_permission=True)
    assert not Label.objects.exists()


def test_a_grant_on_the_plot_type_lets_a_user_label_it(cdc, good):
    plot = factories.plot(cdc)
    shifter = factories.user()
    LabelingGrant.objects.create(user=shifter, plot_type=cdc)
    apply_labels([(plot, good)], user=shifter, check_permission=True)
    assert fresh(plot).label_class == good
    assert Label.objects.get().user == shifter


def test_a_grant_to_a_role_reaches_its_members(cdc, good):
    shifter = factories.user(roles=[LABELER])
    LabelingGrant.objects.create(group=Group.objects.get(name=LABELER), plot_type=cdc)
    assert can_label(shifter, cdc)
    assert not can_label(factories.user(roles=[VIEWER]), cdc)


def test_a_grant_on_a_group_covers_its_plot_types_only(experiment, cdc, good):
    fdc = factories.plot_type(experiment, "FDC_occupancy")
    fcal = factories.plot_type(experiment, "FCAL_energy")
    tracking = factories.plot_group(experiment, "Tracking", types=[cdc, fdc])
    shifter = factories.user()
    LabelingGrant.objects.create(user=shifter, plot_group=tracking)
    assert labelable_plot_type_ids(shifter, [cdc.pk, fdc.pk, fcal.pk]) == {cdc.pk, fdc.pk}
    apply_labels([(factories.plot(cdc), good), (factories.plot(fdc), good)], user=shifter, check_permission=True)
    with pytest.raises(PermissionDenied, match="FCAL_energy"):
        apply_labels([(factories.plot(fcal), good)], user=shifter, check_permission=True)
    assert Label.objects.count() == 2


def test_a_grant_on_a_super_group_covers_the_groups_inside_it(experiment, cdc, good):
    physics = factories.plot_group(experiment, "Physics")
    tracking = factories.plot_group(experiment, "Tracking", parents=[physics])
    factories.plot_group(experiment, "Drift chambers", types=[cdc], parents=[tracking])
    shifter = factories.user()
    LabelingGrant.objects.create(user=shifter, plot_group=physics)
    plot = factories.plot(cdc)
    apply_labels([(plot, good)], user=shifter, check_permission=True)
    assert fresh(plot).label_class == good


def test_a_grant_on_a_subgroup_does_not_cover_its_super_group(experiment, cdc, good):
    fcal = factories.plot_type(experiment, "FCAL_energy")
    physics = factories.plot_group(experiment, "Physics", types=[fcal])
    tracking = factories.plot_group(experiment, "Tracking", types=[cdc], parents=[physics])
    shifter = factories.user()
    LabelingGrant.objects.create(user=shifter, plot_group=tracking)
    assert labelable_plot_type_ids(shifter, [cdc.pk, fcal.pk]) == {cdc.pk}


def test_one_refused_plot_type_refuses_the_whole_batch(experiment, cdc, good):
    fcal = factories.plot_type(experiment, "FCAL_energy")
    shifter = factories.user()
    LabelingGrant.objects.create(user=shifter, plot_type=cdc)
    allowed, refused = factories.plot(cdc), factories.plot(fcal)
    with pytest.raises(PermissionDenied):
        apply_labels([(allowed, good), (refused, good)], user=shifter, check_permission=True)
    assert not Label.objects.exists()
    assert fresh(allowed).label_class is None


@pytest.mark.parametrize("how", ["superuser", "admin role"])
def test_admins_may_label_everything(experiment, cdc, good, how):
    fcal = factories.plot_type(experiment, "FCAL_energy")
    boss = factories.user(is_superuser=True) if how == "superuser" else factories.user(roles=[ADMIN])
    assert labelable_plot_type_ids(boss, [cdc.pk, fcal.pk]) == {cdc.pk, fcal.pk}
    apply_labels([(factories.plot(cdc), good), (factories.plot(fcal), good)], user=boss, check_permission=True)
    assert Label.objects.filter(user=boss).count() == 2


# -- erasing ----------------------------------------------------------------------------------


def test_erase_labels_clears_the_current_label_but_keeps_history(cdc, good, bad):
    labeled, other, unlabeled = factories.plot(cdc), factories.plot(cdc), factories.plot(cdc)
    apply_labels([(labeled, good)])
    apply_labels([(labeled, bad), (other, good)])

    assert erase_labels([labeled, unlabeled]) == 1

    assert fresh(labeled).label_class is None
    assert fresh(labeled).labeled_at is None
    assert fresh(other).label_class == good
    assert Label.objects.filter(plot=labeled).count() == 2
    assert Label.objects.count() == 3
