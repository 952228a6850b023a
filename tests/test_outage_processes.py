"""Outages with real processes: a served portal, manage.py ingest and its --watch, on servers the test kills.

The database is a throw-away mariadbd (SIGKILLed and restarted on its data folder) or, for the SQLite
pass, a database file whose folder is moved away and back; the broker a throw-away redis-server.
Every wait is bounded.
"""

import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from email.message import Message
from pathlib import Path

import pytest

from tests import factories
from tests.faults import ThrowawayMariaDB, ThrowawayRedis
from tests.test_serve_command import serving

ROOT = Path(__file__).resolve().parents[1]
PERIOD = "RunPeriod-2021-08"
SUMMARY = re.compile(r"^ingested (\d+) new, (\d+) duplicate, (\d+) rejected in \d+\.\d s \(\d+ plots/s\)(.*)$")


@pytest.fixture
def mariadb(tmp_path):
    server = ThrowawayMariaDB(tmp_path).start()
    server.query("CREATE DATABASE hydra CHARACTER SET utf8mb4")
    yield server
    server.close()


@pytest.fixture
def redis_server(tmp_path):
    server = ThrowawayRedis(tmp_path).start()
    yield server
    server.close()


def get(url: str) -> tuple[int, Message, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=15) as response:
            return response.status, response.headers, response.read()  # case-insensitive, as HTTP is
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read()


def wait_for(condition, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while True:
        value = condition()
        if value:
            return value
        assert time.monotonic() < deadline, f"waited {seconds} s for {what}"
        time.sleep(0.05)


def assert_outage_answers(base: str) -> None:
    status, headers, body = get(base + "/")
    assert status == 503
    assert headers["Retry-After"] == "30"
    assert "The portal is unavailable for a moment" in body.decode()
    status, headers, body = get(base + "/api/v1/plots/")
    assert status == 503
    assert headers["Retry-After"] == "30"
    assert json.loads(body)["error"]["code"] == "unavailable"
    status, _headers, body = get(base + "/healthz")
    assert status == 503
    assert json.loads(body)["failing"] == ["database"]


def assert_serving(base: str) -> None:
    status, _headers, body = get(base + "/api/v1/experiments/")
    assert status == 200, body
    assert "results" in json.loads(body)
    status, _headers, body = get(base + "/healthz")
    assert status == 200, body


def test_a_served_portal_on_mariadb_answers_503_while_the_server_is_down_and_loses_no_request_after(mariadb, tmp_path):
    with serving(tmp_path, HYDRA_DATABASE_URL=mariadb.url()) as (base, _port, _env, log):
        assert_serving(base)  # the portal now holds a persistent connection
        mariadb.kill()
        mariadb.start()
        assert_serving(base)  # the dead connection is noticed before use, not by a failed request
        mariadb.kill()
        assert_outage_answers(base)
        mariadb.start()
        assert_serving(base)
    assert "Traceback" not in log.read_text()


def test_a_served_portal_on_sqlite_answers_503_while_its_database_folder_is_gone_and_serves_again(tmp_path):
    folder = tmp_path / "db"
    url = f"sqlite:///{folder / 'hydra.sqlite3'}"
    with serving(tmp_path, HYDRA_DATABASE_URL=url) as (base, _port, _env, _log):
        assert_serving(base)
        folder.rename(tmp_path / "db-away")
        try:
            assert_outage_answers(base)
        finally:
            (tmp_path / "db-away").rename(folder)
        assert_serving(base)


def test_healthz_names_the_broker_and_channel_layer_while_their_redis_is_down(redis_server, tmp_path):
    with serving(tmp_path, HYDRA_REDIS_URL=redis_server.url) as (base, _port, _env, _log):
        status, _headers, body = get(base + "/healthz")
        assert status == 200, body
        assert json.loads(body)["checks"]["broker"]["message"] == f"redis://127.0.0.1:{redis_server.port} answers"
        redis_server.kill()
        status, headers, body = get(base + "/healthz")
        assert status == 503
        assert headers["Retry-After"] == "30"
        report = json.loads(body)
        assert report["failing"] == ["broker", "channel_layer"]
        assert report["checks"]["broker"]["message"].startswith(f"redis://127.0.0.1:{redis_server.port} unreachable")
        assert report["checks"]["database"]["status"] == "ok"
        redis_server.start()
        status, _headers, body = get(base + "/healthz")
        assert status == 200, body


# -- ingest ---------------------------------------------------------------------------------------


def portal_env(tmp_path: Path, database_url: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("HYDRA_REDIS_URL", "HYDRA_BROKER_URL")}
    env.update(
        HYDRA_DATABASE_URL=database_url,
        HYDRA_MEDIA_ROOT=str(tmp_path / "media"),
        HYDRA_DEBUG="true",
        PYTHONUNBUFFERED="1",
    )
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True, timeout=180)
    return env


def write_plots(tree: Path, runs, size=(64, 48)) -> None:
    for run in runs:
        path = tree / PERIOD / f"Run{run:06d}" / "CDC_occupancy.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(factories.png_bytes(*size, seed=run))
        old = time.time() - 60  # settled: --watch takes files that stopped changing
        os.utime(path, (old, old))


def media_files(tmp_path: Path) -> list[str]:
    root = tmp_path / "media"
    return [os.path.join(folder, name) for folder, _dirs, files in os.walk(root) for name in files]


def ingest_process(env: dict, tree: Path, out: Path, err: Path, *extra: str) -> subprocess.Popen:
    args = [sys.executable, "manage.py", "ingest", str(tree), "--experiment", "GlueX", "--workers", "1", *extra]
    with out.open("w") as stdout, err.open("w") as stderr:
        return subprocess.Popen(args, cwd=ROOT, env=env, stdout=stdout, stderr=stderr)


def test_ingest_when_the_database_dies_mid_batch_leaves_no_file_and_ends_with_one_summary_line(mariadb, tmp_path):
    env = portal_env(tmp_path, mariadb.url())
    tree = tmp_path / "tree"
    write_plots(tree, range(80000, 80120), size=(640, 480))
    out, err = tmp_path / "out.log", tmp_path / "err.log"
    proc = ingest_process(env, tree, out, err)
    try:
        # Files are stored before their rows go in: the first one on disk means the insert is still to come.
        wait_for(lambda: media_files(tmp_path) or proc.poll() is not None, 120, "the first stored file")
        mariadb.kill()
        assert proc.wait(timeout=120) == 1
    finally:
        if proc.poll() is None:
            proc.kill()
    lines = out.read_text().splitlines()
    match = SUMMARY.match(lines[-1])
    assert match, lines
    assert match.groups()[:3] == ("0", "0", "0")
    assert re.match(r"^; 120 not ingested: database unavailable \(.+\)$", match.group(4))
    errors = err.read_text()
    assert "Traceback" not in errors
    assert errors.strip() == (
        "CommandError: 120 files not ingested, the database is unavailable; run the same command again when it is back"
    )
    assert media_files(tmp_path) == []


def test_ingest_watch_waits_for_a_dead_database_and_resumes_when_it_returns(mariadb, tmp_path):
    env = portal_env(tmp_path, mariadb.url())
    tree = tmp_path / "tree"
    write_plots(tree, [80000])
    out, err = tmp_path / "out.log", tmp_path / "err.log"
    proc = ingest_process(env, tree, out, err, "--watch", "--interval", "0.2")
    try:
        wait_for(lambda: "ingested 1 new" in out.read_text(), 120, "the first file in")
        mariadb.kill()
        write_plots(tree, [80001, 80002, 80003])
        wait_for(lambda: "next try in 2 s" in err.read_text(), 60, "the second wait for the database")
        assert proc.poll() is None
        mariadb.start()
        wait_for(lambda: "ingested 3 new" in out.read_text(), 60, "the files left out to go in")
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    summaries = [line for line in out.read_text().splitlines() if line.startswith("ingested")]
    assert SUMMARY.match(summaries[1]).group(4).startswith("; 3 not ingested: database unavailable (")
    waits = [line for line in err.read_text().splitlines() if line.startswith("waiting for the database")]
    assert waits[0].endswith("next try in 1 s") and waits[1].endswith("next try in 2 s")
    assert "the database is back: resuming" in err.read_text()
    assert "Traceback" not in err.read_text()
    assert mariadb.query("SELECT COUNT(*) FROM plots_plot", "hydra") == [(4,)]
    assert len(media_files(tmp_path)) == 8  # image and thumbnail of each
