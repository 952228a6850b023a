"""Entry module for Dramatiq worker processes: ``dramatiq hydra_portal.worker``.

Sets Django up (which configures the broker from HYDRA_BROKER_URL) and imports every
installed app's ``tasks`` module so all actors are declared.
"""

import importlib
import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hydra_portal.settings")
django.setup()

from django.apps import apps  # noqa: E402

for app_config in apps.get_app_configs():
    try:
        importlib.import_module(f"{app_config.name}.tasks")
    except ModuleNotFoundError as exc:
        if exc.name != f"{app_config.name}.tasks":
            raise
