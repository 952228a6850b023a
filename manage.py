#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys

# Commands that only read the models and the migration files: they sign nothing and serve nothing,
# so they run without the secret key a production start requires (e.g. `makemigrations --check`
# in a fresh clone). Every other command still refuses to start without one.
CODE_ONLY_COMMANDS = {"makemigrations", "showmigrations", "sqlmigrate"}


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hydra_portal.settings")
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command in CODE_ONLY_COMMANDS and not (
        os.environ.get("HYDRA_SECRET_KEY") or os.environ.get("HYDRA_SECRET_KEY_FILE")
    ):
        os.environ["HYDRA_SECRET_KEY"] = "unused-by-commands-that-only-read-the-code"
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
