"""The people page reads as text: no stray separators."""

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
