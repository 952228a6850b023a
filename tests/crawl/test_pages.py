"""Every page as every identity, with Django's test client: what a walk through the portal must never meet.

Each test reports every failure of its kind at once (identity, URL, status, where it was linked).
"""

from __future__ import annotations

import pytest

from tests.crawl import crawler

pytestmark = pytest.mark.django_db


def findings(walks, check: str) -> list[crawler.Finding]:
    return [f for walk in walks.values() for f in walk.findings if f.check == check]


def report(found: list[crawler.Finding]) -> str:
    return f"{len(found)} found:\n" + "\n".join(str(f) for f in found)


def test_the_crawl_reaches_every_page_of_the_portal(walks):
    reached = {visit.view for walk in walks.values() for visit in walk.visits}
    reached |= {crawler.view_of(form.action) for walk in walks.values() for form, _ in walk.forms}
    missing = sorted(crawler.page_views() - reached)
    assert not missing, f"pages no walk reached (link them, or add them to EXTRA_URLS): {missing}"
    for admin in ("admin", "superuser"):  # an Admin made on /people/ reaches Django's admin like a superuser
        assert any(visit.view.startswith("admin:") and visit.status == 200 for visit in walks[admin].visits), admin


def test_no_page_or_form_answers_any_identity_with_a_server_error(walks):
    found = findings(walks, "server error")
    assert not found, report(found)


def test_no_form_on_a_page_posts_to_the_api(walks):
    found = findings(walks, "form posts to the API")
    assert not found, report(found)


def test_every_form_answers_the_method_it_uses(walks):
    found = findings(walks, "form not answered")
    assert not found, report(found)
    submitted = sum(len(walk.forms) for walk in walks.values())
    assert submitted > 20, f"only {submitted} forms were submitted"


def test_no_link_on_a_page_leads_to_a_missing_page(walks):
    found = findings(walks, "broken link")
    assert not found, report(found)


def test_closed_reading_sends_anonymous_visitors_to_the_login_page(walks):
    statuses = {visit.view: visit.status for visit in walks["anonymous-closed"].visits}
    assert statuses["home"] == 302 and statuses["login"] == 200
    opened = {visit.view: visit.status for visit in walks["anonymous-open"].visits}
    assert opened["home"] == 200 and opened["plot-page"] == 200


# Defects the crawl found, one test each.


def test_pages_without_the_portal_layout_get_a_favicon_instead_of_a_404(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200 and response["Content-Type"] == "image/svg+xml"
    assert response.content.startswith(b"<svg") and b"<path" in response.content


def test_the_admin_offers_no_add_form_for_explore_maps_which_only_jobs_compute(client):
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.get(username="demo"))
    assert client.get("/admin/validation/embeddingspace/").status_code == 200
    assert client.post("/admin/validation/embeddingspace/add/", {}).status_code == 403
