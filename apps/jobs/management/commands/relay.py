"""manage.py relay: send the job messages waiting in the outbox, and queue again the jobs of dead workers."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from apps.jobs import relay


class Command(BaseCommand):
    help = (
        "Relay the job outbox to the broker and requeue jobs whose worker stopped heartbeating. "
        "The serving process and every worker run one already; several at once are safe."
    )

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="One pass, then exit (cron, scripts).")
        parser.add_argument(
            "--resend-older-than",
            type=float,
            metavar="SECONDS",
            help="First send again the queued jobs sent longer ago than this and never started "
            "(messages a broker lost, e.g. a Redis restarted without persistence).",
        )
        parser.add_argument(
            "--interval", type=float, default=None, help=f"Seconds between passes ({settings.RELAY_INTERVAL:g})."
        )

    def handle(self, *args, once, interval, resend_older_than, **options):
        if interval is not None and interval <= 0:
            raise CommandError("--interval must be above 0")
        if resend_older_than is not None:
            if resend_older_than <= 0:
                raise CommandError("--resend-older-than must be above 0 seconds")
            count = relay.resend_older_than(resend_older_than)
            self.stdout.write(f"{count} queued job(s) sent over {resend_older_than:g} s ago go out again")
        if once:
            try:
                counts = relay.relay_once()
            except Exception as exc:
                raise CommandError(f"the broker did not take the messages: {exc}") from exc
            self.stdout.write(
                f"sent {counts['sent']}, requeued {counts['requeued']}, failed {counts['failed']}; "
                f"{relay.waiting_count()} still waiting"
            )
            return
        self.stdout.write(f"relaying every {interval or settings.RELAY_INTERVAL:g} s (Ctrl-C stops)")
        worker = relay.Relay(interval=interval)
        worker.start()
        try:
            while worker.is_alive():
                worker.join(timeout=1)
        except KeyboardInterrupt:
            worker.stop()
