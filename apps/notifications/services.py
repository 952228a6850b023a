"""The notification outbox: queue messages in the caller's transaction, deliver them afterwards.

``notify`` writes one ``Delivery`` row per target inside the transaction of the event it is about
(an alarm firing, a brief sent): the rows commit with the event or not at all. Right after the
commit a thread tries each one at once (an alarm reaches a webhook within a second); the scheduler's
``notifications.deliver`` task retries the rest every HYDRA_NOTIFY_INTERVAL seconds with
exponential backoff, until HYDRA_NOTIFY_MAX_ATTEMPTS, then marks them failed with the reason.

A sender claims a row with one UPDATE (``next_attempt_at`` moved past the attempt's timeout), so the
after-commit thread and any number of schedulers never send a row twice; a sent row is never sent
again, and a ``dedupe_key`` is queued once only.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, close_old_connections, transaction
from django.db.models import F
from django.utils import timezone

from apps.core.events import publish_on_commit
from apps.notifications import adapters
from apps.notifications.models import Channel, Delivery, Status

log = logging.getLogger(__name__)
CHANNELS = tuple(Channel.values)
BATCH = 50
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+$")
PV_RE = re.compile(r"^[A-Za-z0-9_:.\-\[\]<>;{}$]+$")
LOGBOOK_RE = re.compile(r"^[\w][\w.\-]*$")

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


class InvalidTarget(ValueError):
    """A target that is not ``channel:address`` with a known channel and a well-formed address."""


def parse_target(spec: str) -> tuple[str, str]:
    """``"email:ann@lab.org"`` → ``("email", "ann@lab.org")``; raises InvalidTarget with the reason."""
    if not isinstance(spec, str) or ":" not in spec:
        raise InvalidTarget(f"{spec!r} is not a target: write channel:address, channel one of {', '.join(CHANNELS)}")
    channel, address = spec.split(":", 1)
    return channel.strip().lower(), check_target(channel.strip().lower(), address.strip())


def check_target(channel: str, address: str) -> str:
    if channel not in CHANNELS:
        raise InvalidTarget(f"unknown channel {channel!r}: one of {', '.join(CHANNELS)}")
    if not address:
        raise InvalidTarget(f"the {channel} target is empty")
    if len(address) > 500:
        raise InvalidTarget(f"the {channel} target is longer than 500 characters")
    ok = {
        "email": EMAIL_RE.match(address),
        "webhook": address.startswith(("http://", "https://")) and " " not in address,
        "epics": PV_RE.match(address),
        "logbook": LOGBOOK_RE.match(address),
    }[channel]
    if not ok:
        what = {
            "email": "an e-mail address",
            "webhook": "an http(s) URL",
            "epics": "a PV name",
            "logbook": "a logbook name (letters, digits, . _ -)",
        }[channel]
        raise InvalidTarget(f"{address!r} is not {what}")
    return address


def _image_of_plot(plot_id) -> tuple[str, str, dict]:
    from apps.plots.models import Plot

    plot = Plot.objects.filter(pk=plot_id).select_related("plot_type").first()
    if plot is None:
        return "", "", {}
    return plot.image, f"Run {plot.run_number}", {"run": plot.run_number, "plot_type": plot.plot_type.name}


def notify(
    *args,
    subject: str = "",
    text: str = "",
    payload: dict | None = None,
    data: dict | None = None,
    image: str = "",
    image_label: str = "",
    image_plot: int | None = None,
    dedupe_key: str | None = None,
    source: str = "",
    strict: bool = False,
) -> list[Delivery]:
    """Queue a notification in the caller's transaction; it is sent once that commits.

    Forms::

        notify("email", "ann@lab.org", subject, text)               # channel, target, subject, text
        notify("webhook:https://chat/hook", subject, text)           # one target spec
        notify(["email:ann@lab.org", "epics:HYDRA:CDC:ALARM"], subject=..., text=...)  # fan out

    ``payload`` (or ``data``) is the machine-readable part; ``image`` a plot image's storage path
    (``image_plot``: a plot id, whose image and run number are used); ``dedupe_key`` makes it
    once-only (with several targets each gets ``<key>:<target>``). Returns the rows queued now
    (a target already queued under its key is left out).

    A malformed target must not undo the event it is about: it is written as a failed delivery
    with the reason (shown in the delivery log), the others are sent. With ``strict=True`` it
    raises InvalidTarget instead, before anything is written (for forms and the API).
    """
    args = list(args)
    if len(args) >= 2 and isinstance(args[0], str) and args[0] in CHANNELS and ":" not in args[0]:
        channel, address = args.pop(0), args.pop(0)
        targets = [(channel, str(address).strip())]
    elif args:
        first = args.pop(0)
        targets = [first] if isinstance(first, str) else list(first)
    else:
        raise TypeError("notify() needs a target")
    if args:
        subject = args.pop(0)
    if args:
        text = args.pop(0)
    if args:
        raise TypeError("notify() takes at most channel, target, subject and text as positional arguments")
    return fan_out(
        targets,
        subject=subject,
        text=text,
        payload=payload if payload is not None else data,
        image=image,
        image_label=image_label,
        image_plot=image_plot,
        dedupe_key=dedupe_key,
        source=source,
        strict=strict,
    )


def check_targets(targets: Iterable[str]) -> list[str]:
    """The reasons the targets are malformed (empty when all are fine): for forms and the API."""
    problems = []
    for spec in targets:
        try:
            parse_target(spec)
        except InvalidTarget as exc:
            problems.append(str(exc))
    return problems


def _split(target) -> tuple[str, str]:
    if isinstance(target, str):
        return parse_target(target)
    channel, address = target
    return channel, check_target(channel, str(address).strip())


def fan_out(
    targets: Iterable,
    *,
    subject: str = "",
    text: str = "",
    payload: dict | None = None,
    image: str = "",
    image_label: str = "",
    image_plot: int | None = None,
    dedupe_key: str | None = None,
    source: str = "",
    strict: bool = False,
) -> list[Delivery]:
    """Queue one delivery per target (specs like ``"email:ann@lab.org"`` or (channel, address) pairs).

    Malformed targets raise InvalidTarget with ``strict``, else become failed deliveries (see notify).
    """
    pairs, malformed = _parse_targets(targets, strict)
    if malformed:
        _record_malformed(malformed, subject, text, source)
    if not pairs:
        return []
    payload = dict(payload or {})
    if image_plot and not image:
        image, label, facts = _image_of_plot(image_plot)
        image_label = image_label or label
        for key, value in facts.items():
            payload.setdefault(key, value)
    now = timezone.now()
    fields = {
        "subject": (subject or "")[:300],
        "body": text or "",
        "payload": payload,
        "image": (image or "")[:200],
        "image_label": (image_label or "")[:100],
        "source": (source or "")[:100],
        "created_at": now,
        "next_attempt_at": now,
    }
    queued = []
    with transaction.atomic():
        for channel, address in pairs:
            row = _queue_one(channel, address, dedupe_key, len(pairs) > 1, fields)
            if row is not None:
                queued.append(row)
        if queued:
            ids = [row.pk for row in queued]
            transaction.on_commit(lambda: send_soon(ids))
            for row in queued:
                publish_on_commit("notifications", "notifications.delivery", row.as_event())
    return queued


def _parse_targets(targets: Iterable, strict: bool) -> tuple[list[tuple[str, str]], list[tuple[object, str]]]:
    """The distinct well-formed (channel, address) pairs and the malformed targets with why (``strict``: raise)."""
    pairs, malformed = [], []
    for target in targets:
        try:
            pairs.append(_split(target))
        except InvalidTarget as exc:
            if strict:
                raise
            malformed.append((target, str(exc)))
    return list(dict.fromkeys(pairs)), malformed


def _queue_one(channel: str, address: str, dedupe_key: str | None, several: bool, fields: dict) -> Delivery | None:
    """Save one delivery row, or None where its dedupe key (per target when ``several``) is queued already."""
    key = None
    if dedupe_key:
        key = (f"{dedupe_key}:{channel}:{address}" if several else dedupe_key)[:200]
        if Delivery.objects.filter(dedupe_key=key).exists():
            return None
    row = Delivery(channel=channel, target=address, dedupe_key=key, **fields)
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError:  # the same key queued at the same moment elsewhere
        return None
    return row


def _record_malformed(malformed, subject: str, text: str, source: str) -> None:
    """Malformed targets as failed deliveries, so the delivery log shows what was not sent and why."""
    now = timezone.now()
    for target, reason in malformed:
        spec = target if isinstance(target, str) else ":".join(str(part) for part in target)
        channel, _, address = spec.partition(":")
        channel = channel.strip().lower()
        log.warning("notification to %r not sent: %s", spec, reason)
        if channel not in CHANNELS:
            continue  # no channel to file it under: the log line above is all
        row = Delivery.objects.create(
            channel=channel,
            target=address[:500],
            subject=(subject or "")[:300],
            body=text or "",
            source=(source or "")[:100],
            status=Status.FAILED,
            last_error=f"not sent: {reason}"[:2000],
            created_at=now,
            next_attempt_at=now,
        )
        publish_on_commit("notifications", "notifications.delivery", row.as_event())


# ------------------------------------------------------------------------------------------ sending


def _executor() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="hydra-notify")
        return _pool


def _send_in_thread(ids: list[int]) -> None:
    try:
        for pk in ids:
            attempt(pk)
    except Exception:
        log.exception("sending deliveries %s right after the commit failed; the scheduler retries them", ids)
    finally:
        close_old_connections()
        from django.db import connection

        connection.close()


def send_soon(ids: list[int]) -> None:
    """Right after the commit: try these deliveries now, in a thread (the scheduler retries what fails)."""
    if not getattr(settings, "NOTIFY_SEND_ON_COMMIT", True):
        return
    try:
        from apps.jobs.relay import hands_off

        if hands_off():  # a short-lived command of the embedded set-up: the serving process sends
            return
    except Exception:
        pass
    _executor().submit(_send_in_thread, list(ids))


def backoff(attempts: int) -> float:
    """Seconds before the next attempt after ``attempts`` failed ones."""
    base, most = settings.NOTIFY_RETRY_SECONDS, settings.NOTIFY_RETRY_MAX_SECONDS
    return min(most, base * 2 ** max(0, attempts - 1))


def claim(pk: int) -> Delivery | None:
    """Take a due queued delivery for one attempt (one UPDATE); None when it is not due or someone has it."""
    now = timezone.now()
    hold = now + timedelta(seconds=settings.NOTIFY_TIMEOUT * 3 + 30)
    taken = Delivery.objects.filter(pk=pk, status=Status.QUEUED, next_attempt_at__lte=now).update(
        next_attempt_at=hold, attempts=F("attempts") + 1
    )
    if not taken:
        return None
    return Delivery.objects.get(pk=pk)


def attempt(pk: int) -> str | None:
    """One attempt at delivery ``pk`` if it is due: "sent", "retry", "failed", or None (not ours now)."""
    delivery = claim(pk)
    if delivery is None:
        return None
    try:
        adapters.send(delivery)
    except adapters.PermanentError as exc:
        return _finish(delivery, Status.FAILED, str(exc))
    except Exception as exc:
        reason = f"{type(exc).__name__}: {exc}"
        if delivery.attempts >= settings.NOTIFY_MAX_ATTEMPTS:
            return _finish(delivery, Status.FAILED, f"gave up after {delivery.attempts} attempts: {reason}")
        return _finish(delivery, Status.QUEUED, reason)
    return _finish(delivery, Status.SENT, "")


def _finish(delivery: Delivery, status: str, error: str) -> str:
    now = timezone.now()
    fields = {"status": status, "last_error": error[:2000]}
    if status == Status.SENT:
        fields["sent_at"] = now
        fields["next_attempt_at"] = now
    elif status == Status.QUEUED:
        fields["next_attempt_at"] = now + timedelta(seconds=backoff(delivery.attempts))
    else:
        fields["next_attempt_at"] = now
    with transaction.atomic():
        Delivery.objects.filter(pk=delivery.pk).update(**fields)
        for name, value in fields.items():
            setattr(delivery, name, value)
        publish_on_commit("notifications", "notifications.delivery", delivery.as_event())
    outcome = "retry" if status == Status.QUEUED else status
    if status == Status.SENT:
        log.info("delivery %s to %s sent (attempt %s)", delivery.pk, delivery.spec, delivery.attempts)
    else:
        log.warning(
            "delivery %s to %s: %s (attempt %s): %s", delivery.pk, delivery.spec, outcome, delivery.attempts, error
        )
    return outcome


def deliver_due(limit: int = BATCH) -> dict[str, int]:
    """The scheduler's task: one attempt at each due delivery (oldest first)."""
    counts = {"sent": 0, "retry": 0, "failed": 0}
    due = (
        Delivery.objects.filter(status=Status.QUEUED, next_attempt_at__lte=timezone.now())
        .order_by("next_attempt_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
    for pk in list(due):
        outcome = attempt(pk)
        if outcome:
            counts[outcome] += 1
    return counts


def retry(delivery: Delivery) -> bool:
    """Queue a failed delivery again (the log page's button): a fresh set of attempts, sent at once."""
    with transaction.atomic():
        changed = Delivery.objects.filter(pk=delivery.pk, status=Status.FAILED).update(
            status=Status.QUEUED, attempts=0, next_attempt_at=timezone.now()
        )
        if changed:
            delivery.refresh_from_db()
            publish_on_commit("notifications", "notifications.delivery", delivery.as_event())
            pk = delivery.pk
            transaction.on_commit(lambda: send_soon([pk]))
    return bool(changed)
