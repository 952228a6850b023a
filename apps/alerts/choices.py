from django.db import models


class RuleKind(models.TextChoices):
    CONFIRMED_BAD = "confirmed_bad", "Confirmed Bad"
    K_OF_N = "k_of_n", "k Bad of the last n runs"
    UNCONFIRMED_STREAK = "unconfirmed_streak", "Unconfirmed streak"
    VALIDATION_FAIL = "validation_fail", "Validation report fails"
    STALENESS = "staleness", "No new plot while the run is live"


class Reason(models.TextChoices):
    """Why an alarm is open: its rule's condition, or a flickering plot type (one alarm, whatever the runs)."""

    BAD = "bad", "Bad verdicts"
    UNCONFIRMED = "unconfirmed", "Unconfirmed streak"
    FLICKER = "flicker", "Flickering"
    VALIDATION = "validation", "Validation fail"
    STALE = "stale", "Stale"


class State(models.TextChoices):
    FIRING = "firing", "Firing"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    RESOLVED = "resolved", "Resolved"


# Lists show firing alarms first, then acknowledged, then resolved.
STATE_ORDER = {State.FIRING: 0, State.ACKNOWLEDGED: 1, State.RESOLVED: 2}


class Severity(models.TextChoices):
    MINOR = "minor", "Minor"
    MAJOR = "major", "Major"


class EventKind(models.TextChoices):
    FIRED = "fired", "Fired"
    SEEN = "seen", "Seen again"
    FLICKER = "flicker", "Flickering"
    NOTIFIED = "notified", "Notified"
    SUPPRESSED = "suppressed", "Silenced: nobody notified"
    ESCALATED = "escalated", "Escalated"
    REPEATED = "repeated", "Repeated"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    RESOLVED = "resolved", "Resolved"
