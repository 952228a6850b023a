"""Every place that shows a plot names its campaign: run 1003 exists online and in recon-ver02."""

from django.urls import reverse

from tests import factories


def test_a_runtime_card_names_the_campaign_of_its_plot(client, scene):
    factories.classifier_model(scene.fcal, activate=True)
    html = client.get(reverse("runtime"), {"experiment": scene.exp.slug}).content.decode()
    card = html[html.index(f'id="rt-{scene.fcal.pk}"') :]
    card = card[: card.index("</article>")]
    assert "Run 1003" in card and "recon-ver02" in card


def test_a_log_row_names_the_campaign_of_its_plot(client, scene):
    model = factories.classifier_model(scene.fcal, activate=True)
    factories.classification(scene.plots[("fcal-recon", 1003)], model, verdict="Bad")
    html = client.get(reverse("monitoring-log"), {"experiment": scene.exp.slug}).content.decode()
    row = html[html.index("log-table") :]
    assert "1003</a> <span" in row and "recon-ver02" in row


def test_browser_cards_and_list_rows_name_the_campaign(client, scene):
    query = {"experiment": scene.exp.slug, "plot_type": scene.fcal.pk, "run": 1003}
    grid = client.get(reverse("plot-browser"), query).content.decode()
    cards = grid[grid.index("plot-card") :]
    assert '<span class="campaign">recon-ver02</span>' in cards and '<span class="campaign">online</span>' in cards
    rows = client.get(reverse("plot-browser"), {**query, "view": "list"}).content.decode()
    assert "recon-ver02" in rows[rows.index("<tbody") :]


def test_a_disagreement_tile_names_the_campaign(client, scene):
    plot = scene.plots[("fcal-recon", 1003)]
    factories.label(plot, scene.good)
    disagreement = {"plot": plot.pk, "label": "Good", "verdict": "Bad", "confidence": 0.9}
    model = factories.classifier_model(scene.fcal, metrics={"disagreements": [disagreement]})
    html = client.get(reverse("model-page", args=[model.pk])).content.decode()
    tile = html[html.index('class="disagree"') :]
    assert "Run 1003 · recon-ver02: expert" in tile


def test_a_labeler_tile_names_the_campaign(client, scene, labeler_user):
    factories.labeling_grant(labeler_user, plot_type=scene.fcal)
    client.force_login(labeler_user)
    html = client.get(reverse("labeler"), {"plot_type": scene.fcal.pk}).content.decode()
    assert '1003 <span class="campaign">recon-ver02</span>' in html
    assert '1003 <span class="campaign">online</span>' in html
    assert 'aria-label="Run 1003, recon-ver02, unlabeled"' in html


def test_the_neighbouring_runs_strip_names_its_campaign(client, scene):
    html = client.get(reverse("plot-page", args=[scene.plots[("fcal-recon", 1003)].pk])).content.decode()
    strip = html[html.index('id="strip-title"') :]
    assert strip.startswith('id="strip-title">Neighbouring runs <span class="muted small">recon-ver02</span>')
    assert 'aria-label="Run 1003, recon-ver02' in strip


def test_the_explore_page_s_most_different_tiles_name_their_campaign(client, experiment):
    from apps.experiments.choices import CampaignKind
    from apps.validation import embedding_maps
    from tests.validation import synthetic

    reference = factories.campaign(experiment, "recon-ver01", kind=CampaignKind.OFFLINE, is_reference=True)
    online = factories.campaign(experiment, "online")
    pt = factories.plot_type(experiment, synthetic.FCAL)
    for n in range(1, 7):
        run = factories.run(experiment, n)
        factories.plot_from_png(pt, synthetic.png(synthetic.FCAL, n), run, reference)
        factories.plot_from_png(
            pt, synthetic.png(synthetic.FCAL, 100 + n, "hot_channels" if n == 6 else None), run, online
        )
    embedding_maps.compute(pt, "pixels")
    html = client.get(reverse("validation-explore"), {"plot_type": pt.pk}).content.decode()
    tiles = html[html.index('class="mini-grid"') :]
    assert '<span class="campaign">online</span>' in tiles or '<span class="campaign">recon-ver01</span>' in tiles
