"""The job record every background task reports into; it is also the outbox of the job's message.

A queued job with an ``actor`` and no ``sent_at`` has a message still to deliver: it commits with
the data that asked for it, and a relay (``apps.jobs.relay``) hands it to the broker afterwards.
A running job's worker stamps ``heartbeat_at`` every few seconds; a stale stamp means the worker died.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

from apps.core.events import publish_on_commit


class Job(models.Model):
    """A background task: queued → running (with progress) → done or failed, with a log."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    kind = models.CharField(max_length=50, db_index=True)
    title = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True)
    progress = models.FloatField(default=0.0, help_text="0 to 1.")
    message = models.CharField(max_length=500, blank=True)
    log = models.TextField(blank=True)
    params = models.JSONField(default=dict, blank=True)
    result = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="jobs",
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    actor = models.CharField(max_length=100, blank=True, help_text="Dramatiq actor that runs the job.")
    sent_at = models.DateTimeField(
        null=True, blank=True, help_text="When the message reached the broker; empty while it waits in the outbox."
    )
    heartbeat_at = models.DateTimeField(
        null=True, blank=True, db_index=True, help_text="Last sign of life of the worker running the job."
    )
    attempts = models.PositiveSmallIntegerField(default=0, help_text="Times a worker started the job.")

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "sent_at"], name="job_outbox")]

    def __str__(self):
        return f"{self.kind} #{self.pk} ({self.status})"

    def as_event(self) -> dict:
        return {
            "id": self.pk,
            "kind": self.kind,
            "title": self.title,
            "status": self.status,
            "progress": self.progress,
            "message": self.message,
            "result": self.result,
        }

    def _save_and_publish(self, *fields):
        self.save(update_fields=list(fields))
        publish_on_commit("jobs", "jobs.update", self.as_event())

    def start(self, message: str = "started"):
        self.status, self.started_at, self.message = self.Status.RUNNING, timezone.now(), message
        self.append_log(message, save=False)
        self._save_and_publish("status", "started_at", "message", "log")

    def report(self, progress: float, message: str = "", **result):
        self.progress = max(0.0, min(1.0, progress))
        if message:
            self.message = message[:500]
            self.append_log(message, save=False)
        if result:
            self.result = {**self.result, **result}
        self._save_and_publish("progress", "message", "log", "result")

    def finish(self, message: str = "done", **result):
        self.status, self.progress, self.finished_at = self.Status.DONE, 1.0, timezone.now()
        self.message = message[:500]
        self.result = {**self.result, **result}
        self.append_log(message, save=False)
        self._save_and_publish("status", "progress", "finished_at", "message", "log", "result")

    def fail(self, error: str):
        self.status, self.finished_at, self.message = (
            self.Status.FAILED,
            timezone.now(),
            error[:500],
        )
        self.append_log(f"failed: {error}", save=False)
        self._save_and_publish("status", "finished_at", "message", "log")

    def append_log(self, line: str, save: bool = True):
        stamp = timezone.now().strftime("%H:%M:%S")
        self.log = f"{self.log}{stamp} {line}\n"
        if save:
            self.save(update_fields=["log"])


class SchedulerLease(models.Model):
    """The row that says which scheduler runs periodic tasks: one owner until ``expires_at``.

    A scheduler takes it with ``UPDATE ... WHERE expires_at < now OR owner = me`` and renews it every
    tick; a second scheduler started by mistake finds it held and waits, and takes it once the first
    stops renewing (killed, hung, or its machine gone).
    """

    name = models.CharField(max_length=50, primary_key=True)
    owner = models.CharField(max_length=200, blank=True)
    expires_at = models.DateTimeField(default=timezone.now)
    taken_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"{self.name}: {self.owner or 'free'} until {self.expires_at:%Y-%m-%d %H:%M:%S}"


class ScheduledTask(models.Model):
    """One periodic task's record: when it last ran, for how long, and how it ended.

    A run is claimed with ``UPDATE ... WHERE last_started_at <= now - every``, so a task runs once
    per period even across schedulers and lease hand-overs.
    """

    name = models.CharField(max_length=100, primary_key=True)
    every_seconds = models.FloatField(default=60.0)
    last_started_at = models.DateTimeField(null=True, blank=True)
    last_finished_at = models.DateTimeField(null=True, blank=True)
    last_duration = models.FloatField(null=True, blank=True, help_text="Seconds the last run took.")
    last_error = models.TextField(blank=True)
    last_result = models.JSONField(default=dict, blank=True)
    last_owner = models.CharField(max_length=200, blank=True)
    runs = models.PositiveIntegerField(default=0)
    failures = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return f"{self.name} every {self.every_seconds:g} s"
