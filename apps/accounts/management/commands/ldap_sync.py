"""manage.py ldap_sync: ask the directory about every directory user now (for a periodic job)."""

from django.core.management.base import BaseCommand, CommandError

from apps.accounts.directory import ALLOWED, DENIED, UNREACHABLE, enabled, sync_all


class Command(BaseCommand):
    help = (
        "Re-check every directory-managed user against the directory: roles follow its groups, and users it "
        "no longer lets in lose their sessions, API tokens and roles. Exits 1 when the directory is unreachable."
    )

    def handle(self, *args, **options):
        if not enabled():
            raise CommandError("LDAP is not configured (HYDRA_LDAP_SERVER_URI is empty): nothing to sync.")
        counts = sync_all()
        summary = f"{counts[ALLOWED]} still allowed, {counts[DENIED]} refused"
        if counts[UNREACHABLE]:
            raise CommandError(f"the directory is unreachable; stopped after {summary}.")
        self.stdout.write(f"ldap_sync: {summary}.")
