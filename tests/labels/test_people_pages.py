"""The people and account pages read as text: no stray separators, no name printed twice, dates kept whole."""

import re
from datetime import UTC, datetime

import pytest
from django.test import Client

from apps.accounts.roles import ADMIN, VIEWER
from tests import factories

pytestmark = pytest.mark.django_db


def _text(fragment: str) -> str:
    """The visible text of an HTML fragment, whitespace collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", fragment)).strip()


def _person_line(html: str, pk: int) -> str:
    """The small line under a user's name on the people page."""
    row = re.search(rf'<tr id="person-{pk}">\s*<th scope="row">.*?<div class="small muted">(.*?)</div>', html, re.S)
    assert row, f"no row for user {pk}"
    return _text(row.group(1))


def _page_head(client: Client) -> tuple[str, str]:
    html = client.get("/account/").content.decode()
    head = re.search(r'<div class="page-head">(.*?)</div>\s*</div>', html, re.S).group(1)
    title = re.search(r"<h1>(.*?)</h1>", head, re.S).group(1)
    sub = re.search(r'<p class="sub">(.*?)</p>', head, re.S)
    return _text(title), _text(sub.group(1)) if sub else ""


def test_people_page_joins_only_what_a_user_has():
    admin = factories.user("boss", roles=[ADMIN], first_name="Ada", last_name="Admin")
    seen = datetime(2026, 3, 4, 12, tzinfo=UTC)
    no_name = factories.user("noname", roles=[VIEWER], last_login=seen)
    named = factories.user("named", roles=[VIEWER], first_name="Vera", last_name="Viewer", last_login=seen)
    never = factories.user("never", roles=[VIEWER])
    client = Client()
    client.force_login(admin)
    html = client.get("/people/").content.decode()

    assert _person_line(html, no_name.pk) == "last seen 2026-03-04"
    assert _person_line(html, named.pk) == "Vera Viewer · last seen 2026-03-04"
    assert _person_line(html, never.pk) == ""


def test_account_page_names_the_user_once():
    client = Client()
    client.force_login(factories.user("plain", roles=[VIEWER]))
    assert _page_head(client) == ("plain", "")

    client.force_login(factories.user("mailed", roles=[VIEWER], email="m@example.org"))
    assert _page_head(client) == ("mailed", "m@example.org")

    client.force_login(
        factories.user("vera", roles=[VIEWER], first_name="Vera", last_name="Viewer", email="v@example.org")
    )
    assert _page_head(client) == ("Vera Viewer", "vera · v@example.org")


def test_token_form_stands_apart_from_the_token_table_and_dates_stay_whole():
    user = factories.user("plain", roles=[VIEWER])
    token, _ = factories.api_token(user)
    token.revoke()
    client = Client()
    client.force_login(user)
    html = client.get("/account/").content.decode()
    # .section gives the form the portal's usual gap above the table that follows it.
    assert re.search(r'<form method="post" class="form-actions section" aria-label="New API token">', html)
    # On a phone the created and revoked dates wrap after the date, never inside it.
    day = r'<span class="nowrap">\d{4}-\d\d-\d\d</span>'
    assert re.search(rf"<td>{day} \d\d:\d\d</td>", html)
    assert re.search(rf'<span class="muted">revoked {day}</span>', html)
