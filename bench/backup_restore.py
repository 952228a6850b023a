"""Timed restore drill: seed N plots, back up, back up again, restore into an empty installation.

Seeds a demo experiment (seed_demo: realistic 480x360 plots and thumbnails, labels, users) into a
fresh database and media root, then times

  1. a first `manage.py backup` (every file copied),
  2. a second one after nothing changed (incremental: no file copied, unchanged files not re-read),
  3. `manage.py restore` into a second, empty database and media root (migrated beforehand, timed too),

checks that the restored installation has the same plots and files, and prints the figures:

    python bench/backup_restore.py [--plots 2000] [--database-url mysql://root@127.0.0.1:3306/hydra_bench]

With a MySQL/MariaDB URL the database and a second one named <name>_restore are dropped and
created afresh (they must be throw-away); without one, SQLite files in a temporary folder are used.
"""

from __future__ import annotations

import argparse
import hashlib
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
PLOTS_PER_RUN = 14  # seed_demo: 7 plot types x 2 campaigns
SECONDS = re.compile(r"in ([\d.]+) s")


def manage(env: dict, *args: str) -> tuple[str, float]:
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    wall = time.perf_counter() - started
    if result.returncode:
        sys.exit(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout.strip().splitlines()[-1] if result.stdout.strip() else "", wall


def own_seconds(line: str) -> float:
    found = SECONDS.findall(line)
    return float(found[-1]) if found else float("nan")


def recreate_mysql(url: str) -> None:
    import MySQLdb

    parts = urlsplit(url)
    conn = MySQLdb.connect(
        host=parts.hostname, port=parts.port or 3306, user=parts.username or "root", passwd=parts.password or ""
    )
    name = parts.path.lstrip("/")
    try:
        cursor = conn.cursor()
        cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
        cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
    finally:
        conn.close()


def tree_hashes(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in root.rglob("*") if p.is_file()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plots", type=int, default=2000)
    parser.add_argument("--database-url", default="", help="A throw-away MySQL/MariaDB database (default: SQLite).")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="seed_demo render processes")
    parser.add_argument("--keep", action="store_true", help="Keep the temporary folder and print its path.")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="hydra-backup-bench-"))
    if args.database_url:
        source_url, target_url = args.database_url, args.database_url.rstrip("/") + "_restore"
        recreate_mysql(source_url)
        recreate_mysql(target_url)
    else:
        source_url, target_url = f"sqlite:///{work / 'source.sqlite3'}", f"sqlite:///{work / 'restored.sqlite3'}"
    base = {**os.environ, "HYDRA_DEBUG": "true", "PYTHONPATH": str(ROOT)}
    source = {**base, "HYDRA_DATABASE_URL": source_url, "HYDRA_MEDIA_ROOT": str(work / "media")}
    target = {**base, "HYDRA_DATABASE_URL": target_url, "HYDRA_MEDIA_ROOT": str(work / "restored-media")}
    dest = work / "backups"
    try:
        runs = math.ceil(args.plots / PLOTS_PER_RUN)
        manage(source, "migrate", "--verbosity", "0")
        # Both schemas now: a restore needs the schema version the backup was taken at.
        _, migrate_wall = manage(target, "migrate", "--verbosity", "0")
        _, seed_wall = manage(source, "seed_demo", "--runs", str(runs), "--workers", str(args.workers))
        media = work / "media"
        files = sum(1 for p in media.rglob("*") if p.is_file())
        size = sum(p.stat().st_size for p in media.rglob("*") if p.is_file())
        print(f"seeded {runs * PLOTS_PER_RUN} plots, {files} files ({size / 1e6:.0f} MB) in {seed_wall:.0f} s")

        first, first_wall = manage(source, "backup", str(dest))
        print(f"backup (first):       {own_seconds(first):7.1f} s   ({first_wall:.1f} s with start-up)  {first}")
        second, second_wall = manage(source, "backup", str(dest))
        print(f"backup (incremental): {own_seconds(second):7.1f} s   ({second_wall:.1f} s with start-up)  {second}")
        print(f"migrate (empty):      {migrate_wall:7.1f} s")
        restored, restore_wall = manage(target, "restore", str(dest))
        print(
            f"restore:              {own_seconds(restored):7.1f} s   ({restore_wall:.1f} s with start-up)  {restored}"
        )
        same = tree_hashes(media) == tree_hashes(work / "restored-media")
        print(f"restored files identical: {same}")
        if not same:
            sys.exit(1)
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
