"""Serve the portal (HTTP and websockets) with uvicorn, the server ``make demo`` and production use.

uvicorn hands a request body to the portal as it arrives, so the body limits of
``hydra_portal.body_limits`` refuse an oversized or stalled upload at its first bytes; a server
that reads whole bodies first (daphne, and so ``runserver``) holds them in memory meanwhile.
"""

from __future__ import annotations

import dramatiq
from django.core.management.base import BaseCommand, CommandError

from hydra_portal.broker import InProcessBroker

APPLICATION = "hydra_portal.asgi:application"


class Command(BaseCommand):
    help = "Serve the portal with uvicorn (HTTP and websockets)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=1, help="server processes (needs a broker)")
        parser.add_argument("--log-level", default="info")
        parser.add_argument(
            "--keep-alive",
            type=int,
            default=30,
            help="seconds an idle HTTP connection stays open (default 30; uvicorn's own 5 s made a reading "
            "user's next click open a new connection)",
        )

    def handle(self, *args, host, port, workers, log_level, keep_alive=30, **options):
        import uvicorn

        if workers < 1:
            raise CommandError("--workers must be at least 1")
        if workers > 1 and isinstance(dramatiq.get_broker(), InProcessBroker):
            # Embedded jobs run inside the one serving process; several would each claim them.
            raise CommandError(
                "--workers above 1 needs HYDRA_REDIS_URL or HYDRA_BROKER_URL: the embedded set-up runs "
                "its jobs inside the one serving process"
            )
        uvicorn.run(
            APPLICATION,
            host=host,
            port=port,
            workers=workers,
            log_level=log_level,
            ws="websockets-sansio",
            proxy_headers=True,
            lifespan="off",
            timeout_keep_alive=keep_alive,
        )
