"""One scene for the package (committed; the database is put back as found at the end) and one walk per identity.

The scene is committed, not wrapped in a test transaction: the worker threads that train and
classify, and the live server of the Chromium pass, read it from their own connections. Tests still
carry the ``django_db`` mark: pytest-django creates the test database only for a session that has one.
pytest-django runs transactional tests after the others, so a whole-suite run builds the scene twice:
once for the client pass, once for the Chromium pass.
"""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.test.utils import override_settings

from tests.browser.conftest import chromium, live_url  # noqa: F401  (the Chromium pass's fixtures)
from tests.crawl import EXTRA_URLS, crawler, scene


@pytest.fixture(scope="package")
def built(django_db_setup, django_db_blocker, tmp_path_factory):
    from django.db import connection

    name = str(connection.settings_dict["NAME"])
    # Only in a test database: the scene is committed, and flushed at the end.
    assert "test" in name or "memory" in name, f"the crawl needs a test database, not {name}"
    overrides = override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("crawl-media"))
    overrides.enable()
    try:
        with django_db_blocker.unblock():
            # Leave the database as found (the roles and permissions the migrations made, say): the
            # tests run after this package within the same group expect them.
            before = connection.creation.serialize_db_to_string()
            try:
                yield scene.build()
            finally:
                from apps.monitoring.classify import clear_cache

                clear_cache()
                call_command("flush", interactive=False, verbosity=0, inhibit_post_migrate=True)
                connection.creation.deserialize_db_from_string(before)
    finally:
        overrides.disable()


@pytest.fixture(autouse=True)
def media_root(built, django_db_blocker):
    """The scene's media root for every test here (instead of an empty one per test), and the database."""
    from django.conf import settings

    with django_db_blocker.unblock():
        yield settings.MEDIA_ROOT


@pytest.fixture(scope="package")
def walks(built, django_db_blocker) -> dict[str, crawler.Walk]:
    """Each identity's walk over the site with Django's test client."""
    extra = [url.format(**built.ids) for url in EXTRA_URLS]
    done = {}
    with django_db_blocker.unblock():
        for identity in scene.IDENTITIES:
            with override_settings(OPEN_ACCESS=identity.open_access):
                client = identity.client()
                seeds = crawler.top_bar(client) + extra
                done[identity.name] = crawler.walk(identity.name, client, seeds)
    return done
