"""A backup restored into a second, empty database gives back every row and every file."""

import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from apps.backups.layout import MANIFEST, complete_snapshots, object_path
from apps.plots.models import Plot
from tests import factories
from tests.backups.helpers import extra_database, file_hashes, same_engine_url, table_rows

pytestmark = pytest.mark.django_db(transaction=True)


def backup(dest: Path, database: str = "default") -> dict:
    out = io.StringIO()
    call_command("backup", str(dest), database=database, stdout=out)
    snapshot = complete_snapshots(dest)[-1]
    assert str(snapshot) in out.getvalue()
    return json.loads((snapshot / MANIFEST).read_text())


def restore(src: Path, database: str, **kw) -> str:
    out = io.StringIO()
    call_command("restore", str(src), database=database, stdout=out, **kw)
    return out.getvalue()


@pytest.fixture
def restored_media(settings, tmp_path):
    """Switch MEDIA_ROOT to an empty folder, as on the machine a backup is restored to."""

    def switch() -> Path:
        settings.MEDIA_ROOT = tmp_path / "restored-media"
        settings.MEDIA_ROOT.mkdir()
        return settings.MEDIA_ROOT

    return switch


def test_a_restored_backup_holds_the_same_rows_and_files(media_root, restored_media, tmp_path):
    demo = factories.demo_installation(media_root)
    before_rows, before_files = table_rows(), file_hashes(media_root)
    manifest = backup(tmp_path / "backups")
    assert manifest["files"]["count"] == len(before_files)
    plots = Plot.objects.count()
    assert plots == 14 and manifest["database"]["tables"]["plots.plot"] == plots

    new_media = restored_media()
    with extra_database("restored", same_engine_url("restored", tmp_path)):
        summary = restore(tmp_path / "backups", "restored")
        after_rows = table_rows("restored")
        # New rows after the restore get fresh keys: no collision with restored ones.
        from apps.audit.models import AuditEntry
        from apps.labels.models import Label

        new_entry = AuditEntry.objects.using("restored").create(action="after.restore")
        assert new_entry.pk > max(row[0] for row in before_rows["audit.auditentry"])
        new_label = Label.objects.using("restored").create(
            plot_id=demo["plots"][0].pk,
            label_class_id=demo["plots"][0].label_class_id or before_rows["labels.labelclass"][0][0],
        )
        assert new_label.pk > max(row[0] for row in before_rows["labels.label"])

    assert "restored" in summary and f"{plots} plots" in summary and f"{len(before_files)} files" in summary
    assert after_rows == before_rows
    for table in (
        "plots.plot",
        "labels.label",
        "monitoring.classifiermodel",
        "monitoring.classification",
        "audit.auditentry",
        "auth.user",
        "accounts.apitoken",
        "auth.user_groups",
        "jobs.job",
    ):
        assert table in after_rows
    assert len(after_rows["monitoring.classification"]) == len(demo["plots"])
    assert after_rows["auth.user"] and after_rows["accounts.apitoken"] and after_rows["audit.auditentry"]
    assert file_hashes(new_media) == before_files
    assert demo["model"].path in before_files and any(p.startswith("gradcam/") for p in before_files)


def test_a_second_backup_copies_only_the_files_of_the_new_plot(media_root, tmp_path):
    exp = factories.experiment("Backups")
    ptype = factories.plot_type(exp)
    for seed in range(3):
        factories.plot(ptype, seed=seed)
    first = backup(tmp_path / "dest")
    assert first["files"]["copied"] == first["files"]["count"] == 6
    assert backup(tmp_path / "dest")["files"]["copied"] == 0

    factories.plot(ptype, seed=99)
    second = backup(tmp_path / "dest")
    assert second["files"]["count"] == 8
    assert second["files"]["copied"] == 2  # the new image and its thumbnail
    assert second["database"]["tables"]["plots.plot"] == 4

    sidecar = media_root / "models" / "1" / "notes.json"
    sidecar.parent.mkdir(parents=True)
    sidecar.write_text('{"v": 1}')
    assert backup(tmp_path / "dest")["files"]["copied"] == 1
    sidecar.write_text('{"v": 2, "changed": true}')
    third = backup(tmp_path / "dest")
    assert third["files"]["copied"] == 1 and third["files"]["count"] == 9
    assert len(complete_snapshots(tmp_path / "dest")) == 5
    objects = [p for p in (tmp_path / "dest" / "objects").rglob("*") if p.is_file()]
    assert len(objects) == 10  # both versions of the changed file are kept


def test_a_corrupt_file_in_the_backup_stops_the_restore_before_anything_is_written(
    media_root, restored_media, tmp_path
):
    exp = factories.experiment("Backups")
    ptype = factories.plot_type(exp)
    plot = factories.plot(ptype, seed=1)
    factories.plot(ptype, seed=2)
    backup(tmp_path / "dest")
    object_path(tmp_path / "dest", plot.sha256).write_bytes(b"not the image any more")

    new_media = restored_media()
    with extra_database("restored", same_engine_url("restored", tmp_path)):
        with pytest.raises(CommandError, match=rf"copy of {plot.image} is corrupt"):
            restore(tmp_path / "dest", "restored")
        assert not Plot.objects.using("restored").exists()
        assert not Plot.objects.using("restored").model._base_manager.using("restored").exists()
    assert file_hashes(new_media) == {}


def test_restore_refuses_a_database_that_holds_plots_unless_forced(media_root, tmp_path):
    exp = factories.experiment("Backups")
    ptype = factories.plot_type(exp)
    factories.plot(ptype, seed=1)
    backup(tmp_path / "dest")
    factories.plot(ptype, seed=2)

    with pytest.raises(CommandError, match="already holds plots.*--force"):
        restore(tmp_path / "dest", "default")
    assert Plot.objects.count() == 2

    assert "1 plots" in restore(tmp_path / "dest", "default", force=True)
    assert Plot.objects.count() == 1


def test_a_half_written_backup_is_not_taken_for_a_complete_one(media_root, tmp_path):
    exp = factories.experiment("Backups")
    factories.plot(factories.plot_type(exp), seed=1)
    backup(tmp_path / "dest")
    partial = tmp_path / "dest" / "snapshots" / ".partial-29990101T000000.000000Z"
    partial.mkdir()
    (partial / "database.jsonl.gz").write_bytes(b"\x1f\x8b half")
    assert partial not in complete_snapshots(tmp_path / "dest")
    assert "1 plots" in restore(tmp_path / "dest", "default", force=True)
