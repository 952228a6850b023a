"""Plot groups nest into super groups; membership is transitive and cycles are rejected everywhere."""

from html.parser import HTMLParser

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse

from apps.plots.models import PlotGroup
from tests import factories

pytestmark = pytest.mark.django_db


class _FormValues(HTMLParser):
    """The values a browser would submit for the admin change form, as a dict of lists."""

    def __init__(self):
        super().__init__()
        self.values: dict[str, list[str]] = {}
        self._select: str | None = None
        self._textarea: str | None = None

    def _add(self, name, value):
        if "__prefix__" not in name:
            self.values.setdefault(name, []).append(value)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in ("submit", "button"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            self._add(name, a.get("value") or ("on" if a.get("type") == "checkbox" else ""))
        elif tag == "select" and name:
            self._select = name
            if "__prefix__" not in name:
                self.values.setdefault(name, [])
        elif tag == "option" and self._select and "selected" in a:
            self._add(self._select, a.get("value", ""))
        elif tag == "textarea" and name:
            self._textarea = name
            self._add(name, "")

    def handle_data(self, data):
        if self._textarea and "__prefix__" not in self._textarea:
            self.values[self._textarea][-1] += data.lstrip("\n") if not self.values[self._textarea][-1] else data

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def change_form_data(client, url) -> dict[str, list[str]]:
    response = client.get(url)
    assert response.status_code == 200
    parser = _FormValues()
    parser.feed(response.content.decode())
    data = parser.values
    data.pop("csrfmiddlewaretoken", None)
    return data


def group_url(group) -> str:
    return reverse("admin:plots_plotgroup_change", args=[group.pk])


# -- transitive membership ------------------------------------------------------------------------


def test_a_super_group_selects_every_plot_type_three_levels_down(experiment):
    cdc, fdc, bcal, fcal = (factories.plot_type(experiment, n) for n in ("CDC_occ", "FDC_occ", "BCAL_t", "FCAL_e"))
    unrelated = factories.plot_type(experiment, "TAGH_hits")
    physics = factories.plot_group(experiment, "Physics", types=[fcal])
    tracking = factories.plot_group(experiment, "Tracking", types=[fdc], parents=[physics])
    drift = factories.plot_group(experiment, "Drift chambers", types=[cdc], parents=[tracking])
    calorimetry = factories.plot_group(experiment, "Calorimetry", types=[bcal], parents=[physics])

    assert set(drift.all_plot_types()) == {cdc}
    assert set(tracking.all_plot_types()) == {cdc, fdc}
    assert set(calorimetry.all_plot_types()) == {bcal}
    assert set(physics.all_plot_types()) == {cdc, fdc, bcal, fcal}
    assert unrelated not in physics.all_plot_types()
    assert physics.descendant_ids() == {physics.pk, tracking.pk, drift.pk, calorimetry.pk}
    assert drift.ancestor_ids() == {tracking.pk, physics.pk}


def test_a_group_in_two_parents_counts_under_both_once(experiment):
    cdc = factories.plot_type(experiment, "CDC_occ")
    jets = factories.plot_group(experiment, "Jets")
    heavy = factories.plot_group(experiment, "Heavy flavor")
    shared = factories.plot_group(experiment, "Shared tracking", types=[cdc], parents=[jets, heavy])
    top = factories.plot_group(experiment, "Physics working group")
    jets.parents.add(top)
    heavy.parents.add(top)

    assert list(jets.all_plot_types()) == [cdc]
    assert list(heavy.all_plot_types()) == [cdc]
    assert list(top.all_plot_types()) == [cdc]  # reached twice, listed once
    assert shared.ancestor_ids() == {jets.pk, heavy.pk, top.pk}


def test_a_plot_type_may_sit_in_several_groups(experiment):
    cdc = factories.plot_type(experiment, "CDC_occ")
    a = factories.plot_group(experiment, types=[cdc])
    b = factories.plot_group(experiment, types=[cdc])
    assert set(cdc.groups.all()) == {a, b}


# -- cycles -----------------------------------------------------------------------------------
# The check runs inside the m2m add's transaction, so each refused add is wrapped in its own atomic
# block, as a caller inside a transaction must do to carry on afterwards.


def test_a_group_cannot_be_its_own_parent(experiment):
    group = factories.plot_group(experiment, "Loop")
    with pytest.raises(ValidationError, match="cannot contain itself"), transaction.atomic():
        group.parents.add(group)
    assert not group.parents.exists()


def test_a_cycle_added_through_parents_is_rejected(experiment):
    top = factories.plot_group(experiment, "Top")
    middle = factories.plot_group(experiment, "Middle", parents=[top])
    bottom = factories.plot_group(experiment, "Bottom", parents=[middle])
    with pytest.raises(ValidationError, match="Bottom is already inside Top"), transaction.atomic():
        top.parents.add(bottom)
    with pytest.raises(ValidationError), transaction.atomic():
        middle.parents.add(bottom)
    assert not top.parents.exists()
    assert list(middle.parents.all()) == [top]


def test_a_cycle_added_through_children_is_rejected(experiment):
    top = factories.plot_group(experiment, "Top")
    middle = factories.plot_group(experiment, "Middle", parents=[top])
    bottom = factories.plot_group(experiment, "Bottom", parents=[middle])
    with pytest.raises(ValidationError), transaction.atomic():
        bottom.children.add(top)
    with pytest.raises(ValidationError), transaction.atomic():
        top.children.add(top)
    assert not bottom.children.exists()
    assert not top.parents.exists()


def test_a_cycle_added_through_parents_set_is_rejected(experiment):
    top = factories.plot_group(experiment, "Top")
    bottom = factories.plot_group(experiment, "Bottom", parents=[top])
    other = factories.plot_group(experiment, "Other")
    with pytest.raises(ValidationError), transaction.atomic():
        top.parents.set([other, bottom])
    assert bottom not in top.parents.all()


def test_a_diamond_is_not_a_cycle(experiment):
    top = factories.plot_group(experiment, "Top")
    left = factories.plot_group(experiment, "Left", parents=[top])
    right = factories.plot_group(experiment, "Right", parents=[top])
    bottom = factories.plot_group(experiment, "Bottom", parents=[left])
    bottom.parents.add(right)
    assert top.descendant_ids() == {top.pk, left.pk, right.pk, bottom.pk}


# -- the admin change form ------------------------------------------------------------------------


def test_the_admin_saves_a_valid_parent_and_child(admin_client, experiment):
    top = factories.plot_group(experiment, "Top")
    middle = factories.plot_group(experiment, "Middle")
    child = factories.plot_group(experiment, "Child")
    data = change_form_data(admin_client, group_url(middle))
    data["parents"] = [str(top.pk)]
    data["PlotGroup_parents-TOTAL_FORMS"] = ["1"]
    data["PlotGroup_parents-0-from_plotgroup"] = [str(child.pk)]
    data["PlotGroup_parents-0-to_plotgroup"] = [str(middle.pk)]
    response = admin_client.post(group_url(middle), data)
    assert response.status_code == 302, response.context and response.context["errors"]
    assert list(middle.parents.all()) == [top]
    assert list(middle.children.all()) == [child]


def test_the_admin_form_rejects_a_parent_that_closes_a_cycle(admin_client, experiment):
    top = factories.plot_group(experiment, "Top")
    bottom = factories.plot_group(experiment, "Bottom", parents=[top])
    data = change_form_data(admin_client, group_url(top))
    data["parents"] = [str(bottom.pk)]
    response = admin_client.post(group_url(top), data)
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert "Bottom is already inside Top" in " ".join(form.errors["parents"])
    assert "a group cannot contain itself" in response.content.decode()
    assert not top.parents.exists()


def test_the_admin_form_rejects_a_group_as_its_own_parent(admin_client, experiment):
    group = factories.plot_group(experiment, "Loop")
    data = change_form_data(admin_client, group_url(group))
    data["parents"] = [str(group.pk)]
    response = admin_client.post(group_url(group), data)
    assert response.status_code == 200
    assert "A group cannot be its own parent." in response.context["adminform"].form.errors["parents"]
    assert not group.parents.exists()


def test_the_admin_child_inline_rejects_a_child_that_closes_a_cycle(admin_client, experiment):
    top = factories.plot_group(experiment, "Top")
    bottom = factories.plot_group(experiment, "Bottom", parents=[top])
    data = change_form_data(admin_client, group_url(bottom))
    data["PlotGroup_parents-TOTAL_FORMS"] = ["1"]
    data["PlotGroup_parents-0-from_plotgroup"] = [str(top.pk)]
    data["PlotGroup_parents-0-to_plotgroup"] = [str(bottom.pk)]
    response = admin_client.post(group_url(bottom), data)
    assert response.status_code == 200
    errors = [str(e) for fs in response.context["inline_admin_formsets"] for e in fs.formset.non_form_errors()]
    assert any("cannot contain itself" in e for e in errors), errors
    assert not bottom.children.exists()
    assert not top.parents.exists()


def test_the_admin_rejects_a_cycle_made_by_a_new_parent_and_a_new_child_together(admin_client, experiment):
    # Neither change closes a loop against what is saved; together they would: Outer ⊃ Inner ⊃ Group ⊃ Outer.
    outer = factories.plot_group(experiment, "Outer")
    inner = factories.plot_group(experiment, "Inner", parents=[outer])
    group = factories.plot_group(experiment, "Group")
    data = change_form_data(admin_client, group_url(group))
    data["parents"] = [str(inner.pk)]
    data["PlotGroup_parents-TOTAL_FORMS"] = ["1"]
    data["PlotGroup_parents-0-from_plotgroup"] = [str(outer.pk)]
    data["PlotGroup_parents-0-to_plotgroup"] = [str(group.pk)]
    response = admin_client.post(group_url(group), data)
    assert response.status_code == 200
    assert "cannot contain itself" in response.content.decode()
    assert not group.parents.exists()
    assert not group.children.exists()
    assert outer.descendant_ids() == {outer.pk, inner.pk}
    assert PlotGroup.objects.get(pk=outer.pk).ancestor_ids() == set()


def _add_form_data(client, experiment, name):
    data = change_form_data(client, reverse("admin:plots_plotgroup_add"))
    data.update({"experiment": [str(experiment.pk)], "name": [name], "slug": [name.lower()], "kind": ["detector"]})
    return data


def test_the_admin_adds_a_new_group_with_a_child_group(admin_client, experiment):
    child = factories.plot_group(experiment, "Child")
    data = _add_form_data(admin_client, experiment, "Parent")
    data["PlotGroup_parents-TOTAL_FORMS"] = ["1"]
    data["PlotGroup_parents-0-from_plotgroup"] = [str(child.pk)]
    response = admin_client.post(reverse("admin:plots_plotgroup_add"), data)
    assert response.status_code == 302
    parent = PlotGroup.objects.get(name="Parent")
    assert list(parent.children.all()) == [child]


def test_the_admin_add_form_rejects_the_same_group_as_parent_and_child(admin_client, experiment):
    other = factories.plot_group(experiment, "Other")
    data = _add_form_data(admin_client, experiment, "New")
    data["parents"] = [str(other.pk)]
    data["PlotGroup_parents-TOTAL_FORMS"] = ["1"]
    data["PlotGroup_parents-0-from_plotgroup"] = [str(other.pk)]
    response = admin_client.post(reverse("admin:plots_plotgroup_add"), data)
    assert response.status_code == 200
    assert "cannot contain itself" in response.content.decode()
    assert not PlotGroup.objects.filter(name="New").exists()
    assert other.ancestor_ids() == set()
