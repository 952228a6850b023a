"""The plot page: image, metadata, label and history, neighbours, comparisons, labeling by form or script."""

from django.urls import reverse

from apps.labels.models import Label
from apps.plots.models import Plot
from tests import factories


def page(client, plot, **params):
    response = client.get(reverse("plot-page", args=[plot.pk]), params)
    assert response.status_code == 200
    return response


def test_the_plot_page_shows_the_image_and_what_the_plot_is(client, scene):
    plot = scene.plots[("cdc", 1003)]
    response = page(client, plot)
    html = response.content.decode()
    assert plot.image_url in html
    for text in ("CDC_occupancy", "Run 1003", "RunPeriod-2021-08", "online", "Unlabeled"):
        assert text in html


def test_previous_and_next_run_of_the_same_plot_type_and_campaign(client, scene):
    response = page(client, scene.plots[("cdc", 1003)])
    assert response.context["prev_plot"] == scene.plots[("cdc", 1002)]
    assert response.context["next_plot"] == scene.plots[("cdc", 1004)]
    assert [p.run_number for p in response.context["strip"]] == [1001, 1002, 1003, 1004, 1005]
    first = page(client, scene.plots[("cdc", 1001)])
    assert first.context["prev_plot"] is None


def test_the_same_run_in_another_campaign_and_the_reference_sit_side_by_side(client, scene):
    scene.fcal.reference_plot = scene.plots[("fcal", 1001)]
    scene.fcal.save()
    response = page(client, scene.plots[("fcal", 1003)])
    assert response.context["compare"] == scene.plots[("fcal-recon", 1003)]
    assert response.context["reference"] == scene.plots[("fcal", 1001)]
    html = response.content.decode()
    assert "recon-ver02" in html and scene.plots[("fcal", 1001)].image_url in html


def test_a_plot_without_reference_or_other_campaign_says_so(client, scene):
    html = page(client, scene.plots[("cdc", 1003)]).content.decode()
    assert "No reference plot chosen" in html and "no CDC_occupancy plot in another campaign" in html


def test_the_current_label_and_its_history_are_shown(client, scene):
    plot = scene.plots[("cdc", 1001)]
    who = factories.user("alice")
    factories.label(plot, scene.bad, who=who, comment="hot wire")
    response = page(client, plot)
    assert [label.label_class.name for label in response.context["history"]] == ["Bad", "Good"]
    html = response.content.decode()
    assert "alice" in html and "hot wire" in html


def test_the_download_link_names_the_run_and_plot_type(client, scene):
    plot = scene.plots[("cdc", 1003)]
    html = page(client, plot).content.decode()
    assert 'download="Run001003_CDC_occupancy.png"' in html
    response = client.get(reverse("plot-image", args=[plot.pk]) + "?download=1")
    assert response.status_code == 200
    assert 'filename="Run001003_CDC_occupancy.png"' in response["Content-Disposition"]


def test_label_buttons_show_only_for_users_who_may_label(client, scene, labeler_user):
    plot = scene.plots[("cdc", 1003)]
    assert b'id="label-form"' not in page(client, plot).content
    client.force_login(labeler_user)
    html = page(client, plot).content.decode()
    assert 'id="label-form"' in html and 'data-hotkey="b"' in html
    assert b'id="label-form"' not in page(client, scene.plots[("fcal", 1003)]).content


def test_a_labeler_labels_a_plot_and_history_grows(client, scene, labeler_user):
    client.force_login(labeler_user)
    plot = scene.plots[("cdc", 1003)]
    response = client.post(
        reverse("plot-page-label", args=[plot.pk]), {"label_class": scene.bad.pk}, HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 200 and response.json()["label"]["name"] == "Bad"
    plot.refresh_from_db()
    assert plot.label_class == scene.bad
    assert Label.objects.filter(plot=plot, user=labeler_user).count() == 1


def test_a_form_post_labels_and_redirects_back(client, scene, labeler_user):
    client.force_login(labeler_user)
    plot = scene.plots[("cdc", 1004)]
    response = client.post(reverse("plot-page-label", args=[plot.pk]), {"label_class": scene.good.pk})
    assert response.status_code == 302 and response.url == reverse("plot-page", args=[plot.pk])
    assert Plot.objects.get(pk=plot.pk).label_class == scene.good


def test_clearing_a_label_keeps_the_history(client, scene, labeler_user):
    client.force_login(labeler_user)
    plot = scene.plots[("cdc", 1001)]
    response = client.post(reverse("plot-page-label", args=[plot.pk]), {"erase": "1"}, HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    assert Plot.objects.get(pk=plot.pk).label_class is None
    assert Label.objects.filter(plot=plot).count() == 1


def test_a_labeler_without_a_grant_cannot_label(client, scene, labeler_user):
    client.force_login(labeler_user)
    plot = scene.plots[("fcal", 1003)]
    response = client.post(
        reverse("plot-page-label", args=[plot.pk]), {"label_class": scene.bad.pk}, HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 403
    assert Plot.objects.get(pk=plot.pk).label_class is None


def test_anonymous_visitors_cannot_label(client, scene):
    plot = scene.plots[("cdc", 1003)]
    response = client.post(
        reverse("plot-page-label", args=[plot.pk]), {"label_class": scene.bad.pk}, HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 401 and response.json()["message"] == "Log in to do this."
    # The form on the plot page: the login page, which brings the visitor back to the plot.
    page = reverse("plot-page", args=[plot.pk])
    response = client.post(reverse("plot-page-label", args=[plot.pk]), {"label_class": scene.bad.pk}, HTTP_REFERER=page)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert f"next={page}" in response["Location"].replace("%2F", "/")
    assert Plot.objects.get(pk=plot.pk).label_class is None
    assert not Label.objects.filter(plot=plot).exists()


def test_an_invalid_class_is_refused(client, scene, labeler_user):
    client.force_login(labeler_user)
    other = factories.experiment("CLAS12")
    foreign = factories.label_class(other, "Good")
    plot = scene.plots[("cdc", 1003)]
    for value in (foreign.pk, "x", ""):
        response = client.post(
            reverse("plot-page-label", args=[plot.pk]), {"label_class": value}, HTTP_ACCEPT="application/json"
        )
        assert response.status_code == 400
    assert Plot.objects.get(pk=plot.pk).label_class is None


def test_a_missing_plot_is_404(client, scene):
    assert client.get(reverse("plot-page", args=[999999])).status_code == 404


def test_the_plot_page_query_count_does_not_grow_with_the_plots(client, scene, django_assert_max_num_queries):
    plot = scene.plots[("cdc", 1003)]
    page(client, plot)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        page(client, plot)
    factories.plots_on_new_runs(scene.cdc, 35, start=900)
    with django_assert_max_num_queries(len(ctx.captured_queries)):
        page(client, plot)


def test_the_page_of_a_classified_plot_shows_the_verdict_its_confidence_and_no_map_when_there_is_none(client, scene):
    plot = scene.plots[("cdc", 1003)]
    model = factories.classifier_model(scene.cdc, activate=True)
    factories.classification(plot, model, verdict="Bad", confidence=0.8125)
    html = page(client, plot).content.decode()
    assert "Bad @ 0.8125" in html and "confirmed" in html
    assert 'id="gradcam"' not in html and "Not classified yet" not in html


def test_the_page_of_a_classified_plot_shows_its_gradcam_map(client, scene, media_root):
    plot = scene.plots[("cdc", 1003)]
    model = factories.classifier_model(scene.cdc, activate=True)
    (media_root / "gradcam").mkdir()
    (media_root / "gradcam" / "map.png").write_bytes(factories.png_bytes(8, 8))
    factories.classification(plot, model, verdict="Good", confidence=0.75, confirmed=False, gradcam="gradcam/map.png")
    html = page(client, plot).content.decode()
    assert "Good @ 0.7500" in html and "unconfirmed" in html
    assert 'id="gradcam" class="overlay" src="/media/gradcam/map.png"' in html
    assert 'id="gradcam-toggle"' in html
