"""backup and restore fail with one clear line and a non-zero exit status, never a traceback."""

import gzip
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from apps.backups.layout import MANIFEST, complete_snapshots
from apps.plots.models import Plot
from tests import factories
from tests.backups.helpers import ROOT

pytestmark = pytest.mark.django_db(transaction=True)


def manage(*args, database_url: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "HYDRA_DEBUG": "true", "HYDRA_DATABASE_URL": database_url}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )


@pytest.fixture
def backup_dir(tmp_path, media_root) -> Path:
    exp = factories.experiment("Backups")
    factories.plot(factories.plot_type(exp), seed=1)
    call_command("backup", str(tmp_path / "dest"), stdout=io.StringIO())
    return tmp_path / "dest"


def test_unwritable_destination_missing_source_and_another_format_version_each_say_so(backup_dir, tmp_path):
    snapshot = complete_snapshots(backup_dir)[-1]
    manifest = json.loads((snapshot / MANIFEST).read_text())
    newer = tmp_path / "newer" / "snapshots" / "20990101T000000.000000Z"
    newer.mkdir(parents=True)
    (newer / MANIFEST).write_text(json.dumps({**manifest, "version": 99}))
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    url = f"sqlite:///{tmp_path / 'other.sqlite3'}"

    cases = [
        (("backup", str(blocker / "dest")), f"cannot write the backup to {blocker / 'dest'}"),
        (("restore", str(tmp_path / "nowhere")), f"{tmp_path / 'nowhere'} does not exist"),
        (("restore", str(tmp_path)), "holds no complete backup"),
        (("restore", str(tmp_path / "newer")), "format version 99; this portal reads version 1"),
    ]
    for args, message in cases:
        result = manage(*args, database_url=url)
        assert result.returncode != 0, args
        assert message in result.stderr, (args, result.stderr)
        assert "Traceback" not in result.stderr, result.stderr
    assert blocker.read_text() == "not a folder"


def test_a_damaged_database_dump_or_a_missing_file_list_is_named(backup_dir):
    snapshot = complete_snapshots(backup_dir)[-1]
    file_list = snapshot / "files.jsonl.gz"
    kept = file_list.read_bytes()
    file_list.unlink()
    with pytest.raises(CommandError, match="lacks its file list"):
        call_command("restore", str(snapshot), force=True, stdout=io.StringIO())
    file_list.write_bytes(kept)
    (snapshot / "database.jsonl.gz").write_bytes(gzip.compress(b'{"model": "plots.plot", "fields": []}\n'))
    with pytest.raises(CommandError, match=r"database dump \(.*\) is corrupt"):
        call_command("restore", str(backup_dir), force=True, stdout=io.StringIO())
    assert Plot.objects.count() == 1


def test_restore_into_a_database_without_tables_asks_for_migrate_first(backup_dir, tmp_path):
    result = manage("restore", str(backup_dir), database_url=f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    assert result.returncode == 1
    assert "run `manage.py migrate` first" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_backup_of_another_schema_version_is_refused(backup_dir):
    snapshot = complete_snapshots(backup_dir)[-1]
    manifest = json.loads((snapshot / MANIFEST).read_text())
    manifest["database"]["migrations"]["plots"].append("9999_from_the_future")
    (snapshot / MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(CommandError, match="another version of the portal: the migrations of plots differ"):
        call_command("restore", str(backup_dir), force=True, stdout=io.StringIO())


def test_a_destination_inside_the_media_folder_is_refused(media_root):
    with pytest.raises(CommandError, match="inside the media folder"):
        call_command("backup", str(media_root / "backups"), stdout=io.StringIO())
    assert not (media_root / "backups").exists()
