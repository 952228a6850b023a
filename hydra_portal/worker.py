"""Entry module for Dramatiq worker processes: ``dramatiq hydra_portal.worker``.

Sets Django up (which configures the broker from HYDRA_BROKER_URL) and imports every
installed app's ``tasks`` module so all actors are declared. Each worker process runs a relay
thread too (``apps.jobs.relay``).
"""

import importlib
import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hydra_portal.settings")
django.setup()

import dramatiq  # noqa: E402
from django.apps import apps  # noqa: E402

from hydra_portal.broker import RelayInWorker  # noqa: E402

dramatiq.get_broker().add_middleware(RelayInWorker())

for app_config in apps.get_app_configs():
    try:
        importlib.import_module(f"{app_config.name}.tasks")
    except ModuleNotFoundError as exc:
        if exc.name != f"{app_config.name}.tasks":
            raise
