from pathlib import Path

from django.core.management.base import BaseCommand

from apps.backups.backup import backup


class Command(BaseCommand):
    help = (
        "Back up the database (one consistent transaction) and the media files into DEST. "
        "Files DEST already holds (same sha256) are not copied again."
    )

    def add_arguments(self, parser):
        parser.add_argument("dest", help="Backup folder; created when missing, reused by later backups.")
        parser.add_argument("--database", default="default", help="Database alias (default: default).")

    def handle(self, *args, dest, database, verbosity=1, **options):
        log = self.stdout.write if verbosity > 1 else (lambda message: None)
        result = backup(Path(dest), alias=database, log=log)
        tables, media = result.manifest["database"]["tables"], result.manifest["files"]
        self.stdout.write(
            f"backup {result.snapshot}: {sum(tables.values())} rows in {len(tables)} tables, "
            f"{media['count']} files ({media['copied']} copied, {media['count'] - media['copied']} already there, "
            f"{media['copied_bytes'] / 1e6:.1f} MB written) in {result.seconds:.1f} s"
        )
