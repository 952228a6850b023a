"""Reading the since/until of an on-demand brief: ISO dates or date-times, local time when naive."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.utils import timezone

DEFAULT_HOURS = 8


def parse_moment(text: str, name: str) -> datetime:
    """``2026-12-04``, ``2026-12-04 07:00``, ``2026-12-04T07:00:00+00:00`` → an aware datetime."""
    value = (text or "").strip()
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValidationError(
            f"{name}: {value[:40]!r} is not a date or date-time (2026-12-04 or 2026-12-04 07:00)."
        ) from None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, timezone.get_current_timezone())
    return moment


def period(since: str | None, until: str | None, now: datetime | None = None) -> tuple[datetime, datetime]:
    """The period asked for; ``until`` defaults to now and ``since`` to eight hours before ``until``."""
    end = parse_moment(until, "until") if until else (now or timezone.now())
    start = parse_moment(since, "since") if since else end - timedelta(hours=DEFAULT_HOURS)
    return start, end
