"""The dump is one consistent moment, and it restores into the other database engine too."""

import io
import os
import threading
from contextlib import ExitStack

import pytest
from django.core.management import call_command
from django.db import connection, connections

from apps.audit.models import AuditEntry
from apps.backups.dump import consistent_snapshot, rows_of
from tests import factories
from tests.backups.helpers import extra_database, file_hashes, table_rows
from tests.services import strict

pytestmark = pytest.mark.django_db(transaction=True)


def test_rows_written_while_the_dump_runs_are_not_in_it():
    AuditEntry.objects.create(action="before")

    def write():
        try:
            AuditEntry.objects.create(action="during")
        finally:
            connections.close_all()

    with consistent_snapshot():
        assert [r for r in rows_of(AuditEntry) if "before" in r]
        writer = threading.Thread(target=write)
        writer.start()
        writer.join()
        actions = {row for r in rows_of(AuditEntry) for row in r if row in ("before", "during")}
    assert actions == {"before"}
    assert set(AuditEntry.objects.values_list("action", flat=True)) >= {"before", "during"}


def other_engine_url(tmp_path) -> str:
    if connection.vendor == "sqlite":
        return os.environ.get("HYDRA_TEST_MARIADB_URL", "mysql://root@127.0.0.1:3306/hydra_backup_portability")
    return f"sqlite:///{tmp_path / 'portability.sqlite3'}"


def test_a_backup_restores_into_the_other_database_engine(media_root, settings, tmp_path):
    url = other_engine_url(tmp_path)
    demo = factories.demo_installation(media_root)
    factories.label(demo["plots"][1], factories.label_class(demo["plots"][1].experiment, "Bad"))
    before_rows, before_files = table_rows(), file_hashes(media_root)
    call_command("backup", str(tmp_path / "dest"), stdout=io.StringIO())

    settings.MEDIA_ROOT = tmp_path / "other-media"
    with ExitStack() as stack:
        try:
            other = stack.enter_context(extra_database("other", url))
        except Exception as exc:  # MariaDB not running on a developer machine
            if strict() or connection.vendor != "sqlite":
                raise
            pytest.skip(f"no MariaDB at {url} for the SQLite -> MariaDB restore ({exc}); set HYDRA_TEST_MARIADB_URL")
        assert other.vendor != connection.vendor
        call_command("restore", str(tmp_path / "dest"), database="other", stdout=io.StringIO())
        assert table_rows("other") == before_rows
    assert file_hashes(settings.MEDIA_ROOT) == before_files
