"""The plot-type page: safe Markdown, expert edits with history, reference, classes, recent plots, Q&A."""

from django.urls import reverse

from apps.plots.models import PlotType
from apps.wiki.markdown import render_markdown
from apps.wiki.models import Answer, DescriptionRevision, Question
from tests import factories


def url(pt):
    return reverse("plot-type-page", args=[pt.pk])


def test_the_page_shows_description_reference_expert_classes_and_recent_plots(client, scene):
    scene.cdc.description = "## Good\n\nSmooth *rings*."
    scene.cdc.expert_contact = "Ada Expert <ada@example.org>"
    scene.cdc.reference_plot = scene.plots[("cdc", 1001)]
    scene.cdc.save()
    response = client.get(url(scene.cdc))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h2>Good</h2>" in html and "<em>rings</em>" in html
    assert "ada@example.org" in html
    assert scene.plots[("cdc", 1001)].image_url in html
    assert [c.name for c in response.context["classes"]] == ["Good", "Bad", "NoData"]
    assert [p.run_number for p in response.context["recent"]] == [1005, 1004, 1003, 1002, 1001]


def test_latest_runs_name_each_plots_campaign_so_a_run_seen_twice_is_told_apart(client, scene):
    import re

    html = client.get(url(scene.fcal)).content.decode()
    strip = html.split('aria-label="Latest plots of FCAL_occupancy"', 1)[1].split("</nav>", 1)[0]
    tiles = re.findall(r'<a href="[^"]+"[^>]*>.*?</a>', strip)
    assert len(tiles) == 6
    twice = [t for t in tiles if "<span>1003<" in t]
    assert len(twice) == 2
    assert {re.search(r'class="strip-campaign">([^<]+)<', t).group(1) for t in twice} == {"online", "recon-ver02"}
    assert all('class="strip-campaign">' in t for t in tiles)


def test_markdown_never_passes_raw_html_or_script_links():
    html = str(render_markdown("<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n\n[x](javascript:alert(1))"))
    assert "<script" not in html and "<img" not in html and "javascript:" not in html
    assert "&lt;script&gt;" in html


def test_viewers_see_no_edit_link_and_cannot_edit(client, scene):
    viewer = factories.user("viewer")
    client.force_login(viewer)
    assert b"/edit/" not in client.get(url(scene.cdc)).content
    assert client.post(reverse("plot-type-edit", args=[scene.cdc.pk]), {"description": "x"}).status_code == 403
    assert PlotType.objects.get(pk=scene.cdc.pk).description == ""
    assert not DescriptionRevision.objects.exists()


def test_anonymous_editing_goes_to_the_login_page(client, scene):
    response = client.get(reverse("plot-type-edit", args=[scene.cdc.pk]))
    assert response.status_code == 302 and "/accounts/login/" in response.url


def test_an_expert_edits_the_description_and_the_history_keeps_each_version(client, scene, expert):
    client.force_login(expert)
    edit = reverse("plot-type-edit", args=[scene.cdc.pk])
    assert client.get(edit).status_code == 200
    for text in ("First version", "Second **version**"):
        response = client.post(edit, {"description": text, "expert_contact": "ada", "summary": f"wrote {text[:5]}"})
        assert response.status_code == 302
    assert PlotType.objects.get(pk=scene.cdc.pk).description == "Second **version**"
    revisions = list(DescriptionRevision.objects.filter(plot_type=scene.cdc))
    assert [r.text for r in revisions] == ["Second **version**", "First version"]
    assert all(r.author == expert for r in revisions)
    html = client.get(url(scene.cdc)).content.decode()
    assert "Edit history (2)" in html and "wrote Secon" in html


def test_preview_renders_without_saving(client, scene, expert):
    client.force_login(expert)
    response = client.post(
        reverse("plot-type-edit", args=[scene.cdc.pk]), {"description": "# Draft", "expert_contact": "", "preview": "1"}
    )
    assert response.status_code == 200 and b"<h1>Draft</h1>" in response.content
    assert PlotType.objects.get(pk=scene.cdc.pk).description == ""
    assert not DescriptionRevision.objects.exists()


def test_anyone_logged_in_asks_and_experts_answer(client, scene, expert):
    asker = factories.user("asker")
    client.force_login(asker)
    response = client.post(reverse("plot-type-ask", args=[scene.cdc.pk]), {"text": "Is ring 5 *always* dim?"})
    assert response.status_code == 302
    question = Question.objects.get()
    assert question.author == asker
    assert client.post(reverse("question-answer", args=[question.pk]), {"text": "no"}).status_code == 403
    assert not Answer.objects.exists()
    client.force_login(expert)
    assert client.post(reverse("question-answer", args=[question.pk]), {"text": "Yes, known."}).status_code == 302
    assert Answer.objects.get().author == expert
    html = client.get(url(scene.cdc)).content.decode()
    assert "<em>always</em>" in html and "Yes, known." in html


def test_anonymous_visitors_cannot_ask(client, scene):
    response = client.post(reverse("plot-type-ask", args=[scene.cdc.pk]), {"text": "hi"})
    assert response.status_code == 302 and "/accounts/login/" in response.url
    assert not Question.objects.exists()


def test_an_empty_question_is_refused_with_a_message(client, scene):
    client.force_login(factories.user())
    response = client.post(reverse("plot-type-ask", args=[scene.cdc.pk]), {"text": ""}, follow=True)
    assert b"Write a question first" in response.content
    assert not Question.objects.exists()


def test_the_plot_type_page_query_count_does_not_grow(client, scene, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    Answer.objects.create(question=Question.objects.create(plot_type=scene.cdc, text="first"), text="a")
    client.get(url(scene.cdc))
    with CaptureQueriesContext(connection) as ctx:
        client.get(url(scene.cdc))
    for i in range(5):
        q = Question.objects.create(plot_type=scene.cdc, text=f"q{i}")
        Answer.objects.create(question=q, text="a")
        DescriptionRevision.objects.create(plot_type=scene.cdc, text=f"v{i}")
    with django_assert_max_num_queries(len(ctx.captured_queries)):
        client.get(url(scene.cdc))
