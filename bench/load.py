"""Load benchmark: browsing clients and an uploader against a running portal, on loopback.

Three phases, all bounded in time: /healthz alone, the plot browser alone (same client count, so
their ratio compares the two paths on the same server and data), then the mixed load: N browsing
clients (home page, the plot browser with a few filters, a plot's page) plus an uploader that
offers R plots a second through the API with a token. Prints requests/s, error counts and
p50/p95/p99 per kind, and the targets met or missed.

    python bench/load.py --base http://127.0.0.1:8000 --token KEY [--clients 50] [--rate 20]
    python bench/load.py --serve --workers 2 ...   # starts `manage.py serve` on this environment's DB

The portal needs plots to browse (`manage.py seed_demo`). Without --token a key is issued with
`manage.py shell` for --user (this environment's database). Only loopback URLs are accepted.
The uploaded plots stay (plot type --plot-type, run numbers from 10,000,000 up): use a throw-away
database. `--serve --workers 2` needs HYDRA_REDIS_URL, as `manage.py serve` does.
"""

from __future__ import annotations

import argparse
import http.client
import io
import json
import os
import queue
import random
import subprocess
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hydra_portal.client import encode_multipart  # noqa: E402

ISSUE_TOKEN = """
from django.contrib.auth import get_user_model
from apps.accounts.models import ApiToken
print(ApiToken.issue(get_user_model().objects.get(username={user!r}), "load benchmark")[1])
"""
UPLOAD_THREADS = 16
TIMEOUT = 30


class Stats:
    """Latencies and outcomes per kind of request, shared by every client thread."""

    def __init__(self):
        self.lock = threading.Lock()
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))

    def record(self, kind: str, seconds: float, error: str | None) -> None:
        with self.lock:
            if error is None:
                self.latency[kind].append(seconds)
            else:
                self.errors[kind][error] += 1

    def report(self, title: str, seconds: float) -> dict[str, dict]:
        print(f"\n{title} ({seconds:.1f} s)")
        print(f"  {'kind':<8} {'ok':>6} {'errors':>7} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7}")
        rows = {}
        for kind in sorted(set(self.latency) | set(self.errors)):
            times = sorted(self.latency[kind])
            errors = sum(self.errors[kind].values())
            row = {"ok": len(times), "errors": errors, "rps": len(times) / seconds}
            for name, q in (("p50", 0.50), ("p95", 0.95), ("p99", 0.99)):
                row[name] = times[min(len(times) - 1, int(q * len(times)))] * 1000 if times else float("nan")
            rows[kind] = row
            print(
                f"  {kind:<8} {row['ok']:>6} {errors:>7} {row['rps']:>7.1f} "
                f"{row['p50']:>7.0f} {row['p95']:>7.0f} {row['p99']:>7.0f}"
            )
            if errors:
                print(f"           errors: {dict(self.errors[kind])}")
        return rows


class Client:
    """One keep-alive connection that keeps its cookies, as a browser does; reconnects after a failure."""

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.conn: http.client.HTTPConnection | None = None
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
        reused = self.conn is not None
        try:
            return self._send(method, path, body, headers)
        except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
            if not (reused and method == "GET"):
                raise
            # The server closed the idle keep-alive connection: a browser asks again on a new one.
            return self._send(method, path, body, headers)

    def _send(self, method: str, path: str, body: bytes | None, headers: dict | None):
        if self.conn is None:
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=TIMEOUT)
        try:
            headers = dict(headers or {})
            if self.cookies:
                headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
            for value in response.headers.get_all("Set-Cookie") or ():
                name, _, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
            return response.status, response.read()
        except (OSError, http.client.HTTPException):
            self.conn.close()
            self.conn = None
            raise


def timed(stats: Stats, client: Client, kind: str, method: str, path: str, ok=(200,), **kw) -> bytes | None:
    started = time.perf_counter()
    try:
        status, payload = client.request(method, path, **kw)
    except (OSError, http.client.HTTPException) as exc:
        stats.record(kind, 0, type(exc).__name__)
        return None
    stats.record(kind, time.perf_counter() - started, None if status in ok else str(status))
    return payload if status in ok else None


def browsing_paths(client: Client, experiment: str) -> list[tuple[str, str]]:
    """The pages a browsing client cycles through: (kind, path)."""
    status, payload = client.request("GET", f"/api/v1/plots/?experiment={experiment}&page_size=200")
    if status != 200:
        sys.exit(f"cannot list plots ({status}): {payload[:200]!r}")
    plots = json.loads(payload)["results"]
    if not plots:
        sys.exit(f"experiment {experiment!r} has no plots: run `manage.py seed_demo` first")
    base = f"/plots/?experiment={experiment}"
    paths = [("home", "/"), ("home", f"/?experiment={experiment}")]
    paths += [("browser", base), ("browser", base + "&view=list"), ("browser", base + "&sort=-confidence")]
    paths += [("browser", base + "&size=24&sort=run"), ("browser", base + f"&run={plots[0].get('run', '')}")]
    paths += [("plot", f"/plots/{p['id']}/") for p in random.Random(1).sample(plots, min(20, len(plots)))]
    return paths


def loop(
    stats: Stats, host: str, port: int, paths: list[tuple[str, str]], stop: threading.Event, seed: int, think: float
):
    """One client: a page, then a pause of ``think`` seconds on average (exponential; 0: none)."""
    client, rng = Client(host, port), random.Random(seed)
    if think > 0:
        stop.wait(rng.uniform(0, think))  # clients do not all arrive in the same instant
    while not stop.is_set():
        kind, path = rng.choice(paths)
        timed(stats, client, kind, "GET", path)
        if think > 0:
            stop.wait(rng.expovariate(1 / think))


def phase(stats: Stats, host: str, port: int, paths, clients: int, seconds: float, extra=(), think=0.0) -> float:
    stop = threading.Event()
    threads = [threading.Thread(target=loop, args=(stats, host, port, paths, stop, i, think)) for i in range(clients)]
    threads += [threading.Thread(target=fn, args=(stop,)) for fn in extra]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    stop.wait(seconds)
    stop.set()
    for thread in threads:
        thread.join(TIMEOUT + 5)
    return time.perf_counter() - started


def images(count: int) -> list[bytes]:
    """Small distinct PNGs (cheap to make, so the client spends its CPU on requests)."""
    import numpy as np
    from PIL import Image

    out = []
    for i in range(count):
        pixels = (np.random.default_rng(i).random((360, 480, 3)) * 64 + 160).astype("uint8")
        buffer = io.BytesIO()
        Image.fromarray(pixels).save(buffer, "PNG")
        out.append(buffer.getvalue())
    return out


def uploader(stats: Stats, host: str, port: int, token: str, experiment: str, plot_type: str, rate: float):
    """A thread body offering ``rate`` uploads a second, each a new (plot type, run)."""
    pngs = images(16)
    first_run = 10_000_000 + int(time.time()) % 1_000_000 * 10
    tasks: queue.Queue = queue.Queue()
    offered = {"n": 0, "late": 0}

    def send(stop: threading.Event):
        client = Client(host, port)
        while not stop.is_set():
            try:
                run = tasks.get(timeout=0.2)
            except queue.Empty:
                continue
            fields = [("experiment", experiment), ("plot_type", plot_type), ("run", str(run))]
            body, content_type = encode_multipart(fields, [("image", "load.png", pngs[run % len(pngs)])])
            headers = {"Authorization": f"Token {token}", "Content-Type": content_type, "Accept": "application/json"}
            timed(stats, client, "upload", "POST", "/api/v1/plots/", ok=(201,), body=body, headers=headers)

    def schedule(stop: threading.Event):
        senders = [threading.Thread(target=send, args=(stop,)) for _ in range(UPLOAD_THREADS)]
        for thread in senders:
            thread.start()
        started = time.perf_counter()
        while not stop.is_set():
            due = started + offered["n"] / rate
            if (pause := due - time.perf_counter()) > 0:
                stop.wait(pause)
                continue
            if tasks.qsize() > UPLOAD_THREADS:
                offered["late"] += 1  # every sender busy: the server is not keeping up
            tasks.put(first_run + offered["n"])
            offered["n"] += 1
        for thread in senders:
            thread.join(TIMEOUT + 5)

    return schedule, offered


def issue_token(user: str) -> str:
    result = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "shell", "-c", ISSUE_TOKEN.format(user=user)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode:
        sys.exit(f"could not issue a token for {user!r}:\n{result.stderr[-2000:]}")
    return result.stdout.strip().splitlines()[-1]


def wait_up(host: str, port: int, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if Client(host, port).request("GET", "/healthz")[0] in (200, 503):
                return
        except OSError:
            time.sleep(0.3)
    sys.exit("the portal did not come up")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", default="http://127.0.0.1:8000", help="the portal's URL (loopback only)")
    parser.add_argument("--serve", action="store_true", help="start `manage.py serve` on --base's port first")
    parser.add_argument("--workers", type=int, default=1, help="server processes with --serve")
    parser.add_argument("--clients", type=int, default=50, help="browsing clients (default 50)")
    parser.add_argument("--rate", type=float, default=20.0, help="uploads offered per second (0: none)")
    parser.add_argument("--seconds", type=float, default=30.0, help="length of the mixed phase (at most 300)")
    parser.add_argument(
        "--think",
        type=float,
        default=1.0,
        help="mean pause of a browsing client between two pages in the mixed phase, in seconds (default 1; "
        "0: every client asks again at once). The single-path phases never pause: they measure capacity.",
    )
    parser.add_argument("--probe-seconds", type=float, default=10.0, help="length of each single-path phase")
    parser.add_argument("--experiment", default="gluex", help="experiment slug to browse and upload into")
    parser.add_argument("--plot-type", default="LoadBench", help="plot type the uploads create")
    parser.add_argument("--token", help="API token for uploads (default: issue one for --user)")
    parser.add_argument("--user", default="expert", help="user to issue a token for (may upload)")
    args = parser.parse_args()

    url = urlsplit(args.base)
    if url.hostname not in ("127.0.0.1", "localhost", "::1") or url.scheme != "http":
        sys.exit("--base must be an http URL on loopback")
    host, port = url.hostname, url.port or 80
    seconds, probe = min(args.seconds, 300.0), min(args.probe_seconds, 60.0)
    server = None
    if args.serve:
        command = [sys.executable, str(ROOT / "manage.py"), "serve", "--host", host, "--port", str(port)]
        command += ["--workers", str(args.workers), "--log-level", "warning"]
        server = subprocess.Popen(command, cwd=ROOT, env=os.environ.copy())
    try:
        wait_up(host, port)
        token = args.token or (issue_token(args.user) if args.rate > 0 else "")
        paths = browsing_paths(Client(host, port), args.experiment)
        browser = [p for p in paths if p[0] == "browser"]
        print(
            f"{args.base}: {args.clients} clients (pausing {args.think:g} s between pages in the mixed phase), "
            f"uploads offered at {args.rate}/s, load average {os.getloadavg()}"
        )

        stats = Stats()
        took = phase(stats, host, port, [("healthz", "/healthz")], args.clients, probe)
        healthz = stats.report("/healthz alone", took)["healthz"]["rps"]
        stats = Stats()
        took = phase(stats, host, port, browser, args.clients, probe)
        alone = stats.report("plot browser alone", took)["browser"]["rps"]
        print(f"  plot browser / healthz throughput: {alone / healthz:.2f} ({alone:.1f} / {healthz:.1f} req/s)")

        stats = Stats()
        extra = ()
        offered = {"n": 0, "late": 0}
        if args.rate > 0:
            schedule, offered = uploader(stats, host, port, token, args.experiment, args.plot_type, args.rate)
            extra = (schedule,)
        took = phase(stats, host, port, paths, args.clients, seconds, extra, think=args.think)
        rows = stats.report("mixed: browsing clients + uploader", took)
        errors = sum(r["errors"] for r in rows.values())
        uploads = rows.get("upload", {"rps": 0.0})["rps"]
        print(
            f"  uploads: offered {offered['n']} ({offered['n'] / took:.1f}/s), stored {uploads:.1f}/s, "
            f"late {offered['late']}"
        )
        browser_rows = [r for k, r in rows.items() if k in ("home", "browser", "plot")]
        p95 = max((r["p95"] for r in browser_rows), default=float("nan"))
        print(
            f"  targets: errors {errors} (0), uploads {uploads:.1f}/s ({args.rate:g}), browser p95 "
            f"{p95:.0f} ms (<500), plot browser {rows.get('browser', {'rps': 0})['rps']:.1f} req/s mixed, "
            f"{alone:.1f} alone (>=60); load average after {os.getloadavg()}"
        )
        if errors:
            sys.exit(1)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=20)


if __name__ == "__main__":
    main()
