"""Every admin page loads for a superuser, and the plot list stays cheap however many plots there are."""

import datetime
import itertools

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.db import connection, models
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from apps.alerts.models import Rule, RuleKind
from apps.core.models import Announcement
from apps.jobs.models import Job
from apps.labels.models import Label, LabelingGrant
from apps.labels.services import apply_labels
from apps.plots.models import Plot, PlotGroup
from tests import factories

pytestmark = pytest.mark.django_db

_unique = itertools.count(1)


def _value_for(field: models.Field):
    """A valid value for a required field of a model the world fixture does not know."""
    if field.choices:
        return field.choices[0][0]
    if isinstance(field, models.ForeignKey):
        related = field.related_model
        return related._default_manager.first() or make_instance(related)
    if isinstance(field, models.BooleanField):
        return False
    if isinstance(field, models.DateTimeField):
        return timezone.now()
    if isinstance(field, models.DateField):
        return datetime.date.today()
    if isinstance(field, models.IntegerField | models.FloatField | models.DecimalField):
        return next(_unique)
    if isinstance(field, models.JSONField):
        return {}
    if isinstance(field, models.CharField | models.TextField):
        text = f"x{next(_unique)}"
        return text[: field.max_length] if field.max_length else text
    raise AssertionError(f"no test value for {field.model._meta.label}.{field.name}: add the model to `world`")


def make_instance(model):
    """One saved object of ``model``, required fields filled in (for admin models added later)."""
    values = {}
    for field in model._meta.concrete_fields:
        if field.primary_key or field.has_default() or field.null or getattr(field, "auto_now_add", False):
            continue
        if getattr(field, "auto_now", False):
            continue
        if field.blank and not isinstance(field, models.ForeignKey):
            continue
        values[field.attname if isinstance(field, models.ForeignKey) else field.name] = (
            _value_for(field).pk if isinstance(field, models.ForeignKey) else _value_for(field)
        )
    return model._default_manager.create(**values)


@pytest.fixture
def world(experiment):
    """One object of each model, made the way the portal makes them."""
    ptype = factories.plot_type(experiment, "CDC_occupancy", detector="CDC")
    top = factories.plot_group(experiment, "Tracking")
    group = factories.plot_group(experiment, "Drift chambers", types=[ptype], parents=[top])
    plot = factories.plot(ptype, factories.run(experiment, 80464), seed=1)
    ptype.reference_plot = plot
    ptype.save()
    apply_labels([(plot, factories.label_class(experiment, "Good"))], user=factories.user("expert"))
    LabelingGrant.objects.create(group=Group.objects.get(name="Labeler"), plot_group=group)
    Job.objects.create(kind="train", title="Train CDC_occupancy")
    Announcement.objects.create(message="Beam returns on Monday")
    Rule.objects.create(experiment=experiment, name="CDC 2 of 3", plot_type=ptype, kind=RuleKind.K_OF_N)
    return {"plot": plot}


def _registered():
    return sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)


def test_every_admin_changelist_add_and_change_page_loads(admin_client, world):
    failures = []
    for model, model_admin in _registered():
        opts = model._meta
        obj = model._default_manager.first() or make_instance(model)
        urls = [reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")]
        if model_admin.has_add_permission(_request(admin_client)):
            urls.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_add"))
        urls.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk]))
        for url in urls:
            response = admin_client.get(url)
            if response.status_code != 200:
                failures.append(f"{url}: {response.status_code}")
    assert failures == []


def _request(client):
    from django.contrib.auth import get_user_model
    from django.test import RequestFactory

    request = RequestFactory().get("/admin/")
    request.user = get_user_model().objects.get(username="admin")
    return request


def test_the_admin_index_lists_every_registered_model(admin_client, world):
    response = admin_client.get(reverse("admin:index"))
    assert response.status_code == 200
    listed = {m["object_name"] for app in response.context["app_list"] for m in app["models"]}
    assert {model._meta.object_name for model in admin.site._registry} <= listed


def test_the_plot_change_page_shows_the_thumbnail(admin_client, world):
    plot = world["plot"]
    response = admin_client.get(reverse("admin:plots_plot_change", args=[plot.pk]))
    assert response.status_code == 200
    assert plot.thumbnail_url in response.content.decode()


def test_the_plot_type_page_previews_its_reference_plot(admin_client, world):
    plot = world["plot"]
    response = admin_client.get(reverse("admin:plots_plottype_change", args=[plot.plot_type_id]))
    assert f'src="{plot.thumbnail_url}" width="320"' in response.content.decode()


# -- plot search --------------------------------------------------------------------------------


@pytest.fixture
def three_runs(experiment):
    ptype = factories.plot_type(experiment, "CDC_occupancy")
    other = factories.plot_type(experiment, "FCAL_energy")
    return [
        factories.plot(ptype, factories.run(experiment, 80464), seed=1),
        factories.plot(other, factories.run(experiment, 80465), seed=2),
        factories.plot(ptype, factories.run(experiment, 90001), seed=3),
    ]


def _search(client, term) -> set[int]:
    response = client.get(reverse("admin:plots_plot_changelist"), {"q": term})
    assert response.status_code == 200
    return {p.pk for p in response.context["cl"].result_list}


def test_the_plot_list_searches_by_run_number(admin_client, three_runs):
    assert _search(admin_client, "80464") == {three_runs[0].pk}
    assert _search(admin_client, " 90001 ") == {three_runs[2].pk}
    assert _search(admin_client, "8046") == set()  # a run number, not a substring


def test_the_plot_list_searches_by_sha256_in_either_case(admin_client, three_runs):
    target = three_runs[1]
    assert _search(admin_client, target.sha256) == {target.pk}
    assert _search(admin_client, target.sha256.upper()) == {target.pk}


def test_the_plot_list_searches_by_the_start_of_a_plot_type_name(admin_client, three_runs):
    assert _search(admin_client, "cdc_") == {three_runs[0].pk, three_runs[2].pk}
    assert _search(admin_client, "occupancy") == set()


# -- query counts -------------------------------------------------------------------------------


def _plots(experiment, count):
    types = [factories.plot_type(experiment) for _ in range(3)]
    campaigns = [factories.campaign(experiment, name) for name in ("online", "ver01")]
    classes = [factories.label_class(experiment, name) for name in ("Good", "Bad", "NoData")]
    for i in range(count):
        plot = factories.plot(types[i % 3], factories.run(experiment), campaigns[i % 2], seed=1000 + i)
        apply_labels([(plot, classes[i % 3])])


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize(
    "url_name", ["admin:plots_plot_changelist", "admin:labels_label_changelist", "admin:plots_plotgroup_changelist"]
)
def test_a_changelist_costs_the_same_queries_for_5_or_30_rows(
    admin_client, experiment, django_assert_max_num_queries, url_name
):
    url = reverse(url_name)
    top = factories.plot_group(experiment, "Top")
    _plots(experiment, 5)
    for i in range(4):
        factories.plot_group(experiment, f"Small {i}", parents=[top])
    admin_client.get(url)  # warm the session and the content types cache
    small = _queries(admin_client, url)

    _plots(experiment, 25)
    for i in range(25):
        factories.plot_group(experiment, f"Large {i}", parents=[top])
    assert Plot.objects.count() == Label.objects.count() == PlotGroup.objects.count() == 30
    with django_assert_max_num_queries(small):
        response = admin_client.get(url)
    assert len(response.context["cl"].result_list) >= 30
    assert _queries(admin_client, url) == small
