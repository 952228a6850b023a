"""manage.py brief: a shift brief over a period, printed, and sent with --send."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from apps.briefs import moments, services
from apps.experiments.models import Experiment


class Command(BaseCommand):
    help = "Print the shift brief of an experiment over a period; --send keeps it and sends it (e-mail, logbook)."

    def add_arguments(self, parser):
        parser.add_argument("--experiment", required=True, help="Experiment name or slug.")
        parser.add_argument("--since", help="Start: 2026-12-04 or 2026-12-04 07:00 (local time); default until - 8 h.")
        parser.add_argument("--until", help="End (excluded); default now.")
        parser.add_argument("--shift", default="", help="Shift name shown in the title.")
        parser.add_argument("--note", default="", help="For the next shift.")
        parser.add_argument("--send", action="store_true", help="Keep the brief and send it.")

    def handle(self, *args, **options):
        name = options["experiment"]
        experiment = Experiment.objects.filter(name=name).first() or Experiment.objects.filter(slug=name).first()
        if experiment is None:
            known = ", ".join(Experiment.objects.values_list("name", flat=True)) or "none"
            raise CommandError(f"No experiment {name!r} (known: {known}).")
        try:
            since, until = moments.period(options["since"], options["until"])
            if not options["send"]:
                brief = services.preview(experiment, since, until, options["shift"], options["note"])
                self.stdout.write(brief.text, ending="")
                return
            brief = services.write(experiment, since, until, None, options["shift"], options["note"], send_now=True)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        self.stdout.write(brief.text, ending="")
        self.stderr.write(f"Brief {brief.pk} sent at {brief.sent_at:%Y-%m-%d %H:%M:%S %Z}.")
