"""Throw-away servers for fault tests: a mariadbd and a redis-server of the test's own, killed and restarted at will.

Each lives in a temporary folder on a free port, so killing it touches nothing else on the machine.
Missing programs skip the test (fail it in CI), as tests/services.py does for the others.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from tests.services import require_program

START_SECONDS = 30


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Server:
    def __init__(self):
        self.proc: subprocess.Popen | None = None

    def kill(self) -> None:
        """SIGKILL: the server dies as in a crash, its clients' sockets break mid-conversation."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=30)
        self.proc = None

    def _wait_until(self, ready, log: Path) -> None:
        deadline = time.monotonic() + START_SECONDS
        while not ready():
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.__class__.__name__} exited: {log.read_text()[-2000:]}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.__class__.__name__} did not start in {START_SECONDS} s")
            time.sleep(0.1)


class ThrowawayMariaDB(_Server):
    """A mariadbd with its data folder under ``root``; root@127.0.0.1 without a password."""

    def __init__(self, root: Path):
        super().__init__()
        self.mariadbd = require_program("mariadbd", "apt-get install mariadb-server")
        self.install_db = require_program("mariadb-install-db", "apt-get install mariadb-server")
        self.datadir = root / "mariadb"
        # A Unix socket path may not exceed 107 bytes; pytest's tmp_path can.
        self._sockdir = tempfile.mkdtemp(prefix="mdb-")
        self.port = free_port()
        subprocess.run(
            [
                self.install_db,
                "--no-defaults",
                f"--datadir={self.datadir}",
                "--auth-root-authentication-method=normal",
                "--skip-test-db",
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )

    def url(self, database: str = "hydra") -> str:
        return f"mysql://root@127.0.0.1:{self.port}/{database}"

    def start(self) -> ThrowawayMariaDB:
        args = [
            self.mariadbd,
            "--no-defaults",
            f"--datadir={self.datadir}",
            f"--port={self.port}",
            f"--socket={self._sockdir}/mysqld.sock",
            f"--pid-file={self._sockdir}/mysqld.pid",
            f"--log-error={self.datadir}/error.log",
            "--bind-address=127.0.0.1",
            "--skip-log-bin",
            "--innodb-buffer-pool-size=32M",
            # Commits reach the OS without fsync: fast, and they survive the SIGKILL of the server
            # (not a power cut, which no test makes). 0 would lose the last second's commits.
            "--innodb-flush-log-at-trx-commit=2",
            "--innodb-doublewrite=0",
        ]
        if os.geteuid() == 0:
            args.insert(2, "--user=root")
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self._wait_until(self._answers, self.datadir / "error.log")
        return self

    def _answers(self) -> bool:
        import MySQLdb

        try:
            MySQLdb.connect(host="127.0.0.1", port=self.port, user="root", connect_timeout=2).close()
        except MySQLdb.OperationalError:
            return False
        return True

    def query(self, sql: str, database: str | None = None) -> list[tuple]:
        import MySQLdb

        conn = MySQLdb.connect(host="127.0.0.1", port=self.port, user="root", database=database or "")
        try:
            cursor = conn.cursor()
            cursor.execute(sql)
            rows = list(cursor.fetchall())
            conn.commit()
            return rows
        finally:
            conn.close()

    def close(self) -> None:
        self.kill()
        shutil.rmtree(self._sockdir, ignore_errors=True)


class ThrowawayRedis(_Server):
    def __init__(self, root: Path):
        super().__init__()
        self.program = require_program("redis-server", "apt-get install redis-server")
        self.dir = root / "redis"
        self.dir.mkdir()
        self.port = free_port()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> ThrowawayRedis:
        log = self.dir / "redis.log"
        args = [self.program, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        args += ["--dir", str(self.dir), "--logfile", str(log)]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        log.touch()
        self._wait_until(self._answers, log)
        return self

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def close(self) -> None:
        self.kill()
