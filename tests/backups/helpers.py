"""A second database to restore into, and ways to compare two installations (the demo: factories.demo_installation)."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

from django.db import connections
from django.db.utils import load_backend

from apps.backups.dump import models_in_order, stored_fields
from hydra_portal.env import parse_database_url

ROOT = Path(__file__).resolve().parents[2]


def table_rows(alias: str = "default") -> dict[str, list]:
    """Every row of every table, by primary key: two installations with equal rows hold the same data."""
    rows = {}
    for model in models_in_order(alias):
        names = [f.attname for f in stored_fields(model)]
        rows[model._meta.label_lower] = list(model._base_manager.using(alias).order_by("pk").values_list(*names))
    return rows


def file_hashes(root: Path) -> dict[str, str]:
    out = {}
    for folder, _dirs, files in os.walk(root):
        for name in files:
            path = Path(folder) / name
            out[str(path.relative_to(root))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def _url_for(alias_name: str, default: dict, tmp_path: Path) -> str:
    if default["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{tmp_path / f'{alias_name}.sqlite3'}"
    return f"mysql://{default['USER']}@{default['HOST']}:{default['PORT'] or 3306}/{default['NAME']}_{alias_name}"


@contextmanager
def extra_database(alias: str, url: str):
    """A second, empty and migrated database reachable as ``connections[alias]``; dropped afterwards."""
    settings_dict = parse_database_url("HYDRA_TEST_EXTRA_DATABASE", url)
    settings_dict.pop("TEST", None)
    configured = connections.configure_settings(
        {"default": dict(connections.settings["default"]), alias: settings_dict}
    )
    # Set as a connection, not in DATABASES: the test case lets such added connections through.
    connections[alias] = load_backend(settings_dict["ENGINE"]).DatabaseWrapper(configured[alias], alias)
    mysql = settings_dict["ENGINE"].endswith("mysql")
    name = settings_dict["NAME"]
    if mysql:
        _mysql_admin(
            settings_dict, f"DROP DATABASE IF EXISTS `{name}`", f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4"
        )
    try:
        migrate(url)
        yield connections[alias]
    finally:
        connections[alias].close()
        del connections[alias]
        if mysql:
            _mysql_admin(settings_dict, f"DROP DATABASE IF EXISTS `{name}`")
        else:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{name}{suffix}").unlink(missing_ok=True)


def migrate(url: str) -> None:
    """``manage.py migrate`` in its own process, as an administrator prepares an empty installation.

    (In this process, migrations whose data steps read the default database would fill the wrong one.)
    """
    env = {**os.environ, "HYDRA_DEBUG": "true", "HYDRA_DATABASE_URL": url}
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--verbosity", "0"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=600,
    )


def _mysql_admin(settings_dict: dict, *statements: str) -> None:
    import MySQLdb

    conn = MySQLdb.connect(
        host=settings_dict["HOST"],
        port=int(settings_dict["PORT"] or 3306),
        user=settings_dict["USER"],
        passwd=settings_dict["PASSWORD"] or "",
    )
    try:
        cursor = conn.cursor()
        for sql in statements:
            cursor.execute(sql)
    finally:
        conn.close()


def same_engine_url(alias: str, tmp_path: Path) -> str:
    """A second database of the engine the suite runs on (SQLite file, or a MariaDB database)."""
    return _url_for(alias, connections["default"].settings_dict, tmp_path)
