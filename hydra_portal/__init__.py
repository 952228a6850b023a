"""Hydra portal: Django project package (settings, URLs, ASGI routing, task broker)."""
