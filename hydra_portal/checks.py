"""Start-up checks of the settings: Django system checks, run by `manage.py check`, `migrate`,
`runserver` and the test runner, instead of work (or failures) while settings.py is imported.

The folders the portal writes to are made once at start-up (``make_directories``, called from
apps.core's ready()); the check then reports each one that could not be made or is not writable,
with the setting to change.
"""

from __future__ import annotations

import os
from pathlib import Path

from django.conf import settings
from django.core.checks import Error, register


def directories() -> list[tuple[str, Path, bool]]:
    """(setting, folder, must be writable) for every folder the portal needs on this machine."""
    found = []
    database = settings.DATABASES["default"]
    if database["ENGINE"].endswith("sqlite3"):
        # SQLite writes its -wal and -shm files beside the database, so the folder must be writable.
        found.append(("HYDRA_DATABASE_URL", Path(database["NAME"]).parent, True))
    # collectstatic fills STATIC_ROOT; serving only reads it (a read-only image is fine).
    found.append(("HYDRA_STATIC_ROOT", Path(settings.STATIC_ROOT), False))
    if getattr(settings, "STORAGE", "filesystem") == "filesystem":
        found.append(("HYDRA_MEDIA_ROOT", Path(settings.MEDIA_ROOT), True))
    else:
        found.append(("HYDRA_STORAGE_CACHE", Path(settings.STORAGE_CACHE_DIR), True))
    return found


def make_directories() -> None:
    """Make each folder of ``directories()`` that is missing; what fails is left to the check to report."""
    for _setting, path, _writable in directories():
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError:
            pass


def directory_problem(path: Path, writable: bool) -> str | None:
    """Why the portal cannot use ``path`` as its folder, or None."""
    if path.is_dir():
        if writable and not os.access(path, os.W_OK | os.X_OK):
            return f"{path} is not writable by this process (user id {os.getuid()})"
        return None
    if path.exists():
        return f"{path} exists but is not a directory"
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return f"{path} cannot be created: {exc.strerror or exc}"
    return None


@register("settings")
def check_directories(app_configs=None, **kwargs):
    errors = []
    for setting, path, writable in directories():
        problem = directory_problem(path, writable)
        if problem:
            errors.append(
                Error(
                    f"{setting}: {problem}.",
                    hint=f"Create the folder and give it to the portal's user, or point {setting} "
                    f"(or HYDRA_VAR_DIR, under which it lies by default) at a folder that is.",
                    id="hydra.settings.E001",
                )
            )
    return errors
