"""Benchmark notification latency: commit of the event → the webhook received (and → the e-mail received).

Sets up a temporary portal (SQLite by default; ``--database-url mysql://…`` for MariaDB), a webhook
receiver (an HTTP server thread on loopback that checks the HMAC signature) and an SMTP server
(aiosmtpd). Then it commits ``--events`` events one after the other, each queueing a webhook and an
e-mail in its transaction (as an alarm does), ``--gap`` seconds apart, and reports the time from the
commit to the receipt: p50, p95 and max per channel. The scheduler is not running: this is the
path right after the commit; the scheduler only retries what it could not send.

Optionally ``--down SECONDS``: the webhook receiver starts that long after the first event; the
deliveries queued meanwhile arrive through the scheduler's retries (reported separately).

    python bench/notification_latency.py [--events 100] [--gap 0.05] [--database-url mysql://root@127.0.0.1:3306/hydra_bench]
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SECRET = "bench-secret"


def setup(var: Path, database_url: str | None):
    for key in [k for k in os.environ if k.startswith("HYDRA_")]:
        del os.environ[key]
    os.environ.update(HYDRA_VAR_DIR=str(var), HYDRA_DEBUG="true", HYDRA_LOG_LEVEL="ERROR")
    os.environ.update(HYDRA_WEBHOOK_SECRET=SECRET, HYDRA_NOTIFY_RETRY_SECONDS="0.5", HYDRA_NOTIFY_RETRY_MAX_SECONDS="2")
    if database_url:
        os.environ["HYDRA_DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "hydra_portal.settings"
    import django

    django.setup()
    from django.core.management import call_command

    if database_url:
        import MySQLdb
        from django.db import connection

        db = connection.settings_dict
        server = MySQLdb.connect(
            host=db["HOST"] or "127.0.0.1", port=int(db["PORT"] or 3306), user=db["USER"], password=db["PASSWORD"] or ""
        )
        cursor = server.cursor()
        cursor.execute(f"DROP DATABASE IF EXISTS `{db['NAME']}`")
        cursor.execute(f"CREATE DATABASE `{db['NAME']}` CHARACTER SET utf8mb4")
        server.close()
    call_command("migrate", verbosity=0)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def describe(name: str, latencies: list[float], expected: int) -> str:
    if not latencies:
        return f"{name}: nothing received of {expected}"
    ms = [x * 1000 for x in latencies]
    return (
        f"{name}: {len(ms)}/{expected} received once each; p50 {statistics.median(ms):.0f} ms, "
        f"p95 {percentile(ms, 95):.0f} ms, max {max(ms):.0f} ms"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=100)
    parser.add_argument("--gap", type=float, default=0.05, help="Seconds between events.")
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--down", type=float, default=0.0, help="Start the webhook receiver this late (seconds).")
    args = parser.parse_args()

    var = Path(tempfile.mkdtemp(prefix="hydra-bench-notify-"))
    try:
        setup(var, args.database_url)
        run(args)
    finally:
        shutil.rmtree(var, ignore_errors=True)


def run(args):
    from django.conf import settings
    from django.db import transaction

    from apps.jobs import scheduler
    from apps.notifications import notify
    from apps.notifications.models import Delivery, Status
    from tests.notifications.peers import HTTPServer, SMTPServer, free_port

    received: dict[str, dict[str, float]] = {"webhook": {}, "email": {}}
    duplicates = {"webhook": 0, "email": 0}
    lock = threading.Lock()

    def got(channel: str, key: str):
        with lock:
            if key in received[channel]:
                duplicates[channel] += 1
            else:
                received[channel][key] = time.monotonic()

    webhook = HTTPServer(port=free_port())

    def check(posted):
        expected = "sha256=" + hmac.new(SECRET.encode(), posted.body, hashlib.sha256).hexdigest()
        if posted.headers.get("x-hydra-signature") != expected:
            return 401
        import json

        got("webhook", json.loads(posted.body)["payload"]["event"])
        return 200

    webhook.on_post = check

    class Mailbox(list):
        def append(self, item):
            got("email", item[1]["Subject"].split()[-1])
            super().append(item)

    smtp = SMTPServer()
    smtp.messages = Mailbox()
    smtp.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS = "127.0.0.1", smtp.port, False

    loop = None
    if args.down:
        loop = scheduler.Scheduler(tick=0.1, only={"notifications.deliver"})
        loop.start()
    else:
        webhook.start()

    committed: dict[str, float] = {}
    started = time.monotonic()
    for n in range(args.events):
        key = f"e{n}"
        with transaction.atomic():
            notify(
                [f"webhook:{webhook.url}/hook", "email:shift@lab.example"],
                subject=f"[Hydra] ALARM bench {key}",
                text="Confirmed Bad.",
                payload={"event": key, "severity": "major"},
            )
        committed[key] = time.monotonic()
        if args.down and webhook.server is None and time.monotonic() - started >= args.down:
            webhook.start()
        time.sleep(args.gap)
    if args.down and webhook.server is None:
        time.sleep(max(0.0, args.down - (time.monotonic() - started)))
        webhook.start()

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and (
        len(received["webhook"]) < args.events or len(received["email"]) < args.events
    ):
        time.sleep(0.05)
    time.sleep(1)
    if loop is not None:
        loop.stop()
    webhook.stop()
    smtp.stop()

    db = "MariaDB" if args.database_url else "SQLite"
    print(f"{args.events} events, one webhook and one e-mail each, {args.gap * 1000:.0f} ms apart, {db}")
    for channel in ("webhook", "email"):
        lat = [received[channel][k] - committed[k] for k in committed if k in received[channel]]
        print(describe(f"commit → {channel} received", lat, args.events) + f"; duplicates: {duplicates[channel]}")
    failed = Delivery.objects.exclude(status=Status.SENT).count()
    print(f"deliveries not sent: {failed}")


if __name__ == "__main__":
    main()
