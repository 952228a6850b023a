from pathlib import Path

from django.core.management.base import BaseCommand

from apps.backups.restore import restore

SUMMARY = [
    ("plots.plot", "plots"),
    ("labels.label", "labels"),
    ("monitoring.classifiermodel", "models"),
    ("monitoring.classification", "verdicts"),
    ("audit.auditentry", "audit entries"),
    ("auth.user", "users"),
]


class Command(BaseCommand):
    help = (
        "Restore a backup made by `manage.py backup` into an empty installation (after `manage.py migrate`): "
        "every file is checked against the manifest first, then files and database rows are put in place."
    )

    def add_arguments(self, parser):
        parser.add_argument("src", help="A backup folder (its newest snapshot is used) or one of its snapshots.")
        parser.add_argument("--database", default="default", help="Database alias (default: default).")
        parser.add_argument(
            "--force", action="store_true", help="Replace the contents of a database that already holds plots."
        )

    def handle(self, *args, src, database, force, verbosity=1, **options):
        log = self.stdout.write if verbosity > 1 else (lambda message: None)
        result = restore(Path(src), alias=database, force=force, log=log)
        counts = ", ".join(f"{result.tables.get(label, 0)} {name}" for label, name in SUMMARY)
        self.stdout.write(
            f"restored {result.snapshot}: {counts}, {sum(result.tables.values())} rows in all, "
            f"{result.files} files ({result.bytes / 1e6:.1f} MB, {result.written} written) in {result.seconds:.1f} s"
        )
