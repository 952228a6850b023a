"""Benchmark uploads through the REST API: N plots, C concurrent clients, ASGI server on loopback.

Starts daphne against a fresh SQLite database and media root, creates an uploader with an
API token, renders N realistic 480x360 PNG plots, then has C client threads POST them one by
one to /api/v1/plots/ (image check, thumbnail and insert included) and prints the rate. A
second pass over a sample checks that re-sending answers 200 and adds nothing.

    python bench/api_upload_rate.py [--plots 600] [--clients 4] [--keep]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hydra_portal.client import encode_multipart  # noqa: E402

EXPERIMENT = "bench"
FIRST_RUN = 90000
SETUP = """
from django.contrib.auth.models import Group, User
from apps.accounts.models import ApiToken
from apps.accounts.roles import DETECTOR_EXPERT
from apps.experiments.models import Experiment
from apps.labels.defaults import ensure_default_classes
user = User.objects.create_user("bench", password="bench-password-1")
user.groups.add(Group.objects.get(name=DETECTOR_EXPERT))
ensure_default_classes(Experiment.objects.create(name="Bench", slug="bench"))
print(ApiToken.issue(user, "bench")[1])
"""


def render(job: tuple[int, int]) -> tuple[str, int, bytes]:
    """One plot: (plot type name, run, PNG bytes)."""
    index, types = job
    try:
        from ml.synthetic import DEMO_PLOT_TYPES, demo_plot

        plot_type = DEMO_PLOT_TYPES[index % len(DEMO_PLOT_TYPES)]
        run = FIRST_RUN + index // len(DEMO_PLOT_TYPES)
        return plot_type.name, run, demo_plot(plot_type, run, seed=index)[0]
    except ImportError:
        import io

        import numpy as np
        from PIL import Image

        rng = np.random.default_rng(index)
        pixels = (rng.random((360, 480, 3)) * 64 + 160).astype("uint8")
        out = io.BytesIO()
        Image.fromarray(pixels).save(out, "PNG")
        return f"Synthetic_{index % types}", FIRST_RUN + index // types, out.getvalue()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def manage(env: dict, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if result.returncode:
        sys.exit(f"manage.py {' '.join(args)} failed:\n{result.stderr}")
    return result.stdout


def wait_for(port: int, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    sys.exit("daphne did not come up")


def upload_all(port: int, key: str, plots: list[tuple[str, int, bytes]], clients: int) -> tuple[float, dict]:
    """POST every plot with ``clients`` threads, each on its own keep-alive connection."""
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    queue = list(enumerate(plots))

    def worker():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        while True:
            with lock:
                if not queue:
                    break
                i, (plot_type, run, data) = queue.pop()
            fields = [("experiment", EXPERIMENT), ("plot_type", plot_type), ("run", str(run))]
            fields.append(("run_period", "RunPeriod-2025-01"))
            body, content_type = encode_multipart(fields, [("image", f"{plot_type}.png", data)])
            headers = {"Authorization": f"Token {key}", "Content-Type": content_type, "Accept": "application/json"}
            conn.request("POST", "/api/v1/plots/", body=body, headers=headers)
            response = conn.getresponse()
            payload = response.read()
            if response.status not in (200, 201):
                print(f"upload {i} failed: {response.status} {payload[:300]!r}", file=sys.stderr)
            with lock:
                statuses[response.status] = statuses.get(response.status, 0) + 1
        conn.close()

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started, statuses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--plots", type=int, default=600)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--types", type=int, default=12, help="Plot types when ml.synthetic is missing.")
    parser.add_argument("--keep", action="store_true", help="Keep the temporary directory.")
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="ASGI server processes: 1 runs daphne; more run uvicorn --workers N (Django runs sync views one "
        "at a time per process, so processes are what use more cores).",
    )
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="hydra-api-bench-"))
    server = None
    try:
        env = {k: v for k, v in os.environ.items() if not k.startswith("HYDRA_")}
        env.update(
            HYDRA_VAR_DIR=str(tmp / "var"),
            HYDRA_MEDIA_ROOT=str(tmp / "media"),
            HYDRA_LOG_LEVEL="WARNING",
            HYDRA_DEBUG="false",
            HYDRA_SECRET_KEY="bench-only-secret-key",
            HYDRA_SSL_REDIRECT="false",
            HYDRA_SECURE_COOKIES="false",
        )
        manage(env, "migrate", "--noinput", "-v", "0")
        key = manage(env, "shell", "-c", SETUP).strip().splitlines()[-1]

        started = time.perf_counter()
        with ProcessPoolExecutor() as pool:
            plots = list(pool.map(render, [(i, args.types) for i in range(args.plots)], chunksize=8))
        size = sum(len(p[2]) for p in plots) / len(plots)
        print(
            f"rendered {len(plots)} plots (480x360 PNG, {size / 1024:.0f} KiB on average) in "
            f"{time.perf_counter() - started:.1f} s"
        )

        port = free_port()
        bin_dir = Path(sys.executable).parent
        if args.workers > 1:
            command = [str(bin_dir / "uvicorn"), "--host", "127.0.0.1", "--port", str(port)]
            command += ["--workers", str(args.workers), "--log-level", "warning", "hydra_portal.asgi:application"]
        else:
            command = [str(bin_dir / "daphne"), "-b", "127.0.0.1", "-p", str(port), "hydra_portal.asgi:application"]
        server = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=open(tmp / "daphne.log", "w"),
        )
        wait_for(port)

        seconds, statuses = upload_all(port, key, plots, args.clients)
        if statuses.get(201) != len(plots):
            sys.exit(f"expected {len(plots)} new plots, got statuses {statuses}; see {tmp / 'daphne.log'}")
        sample = plots[:: max(1, len(plots) // 50)]
        _, again = upload_all(port, key, sample, args.clients)
        if again != {200: len(sample)}:
            sys.exit(f"re-sending {len(sample)} plots should answer 200 each, got {again}")

        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request(
            "GET", f"/api/v1/plots/?experiment={EXPERIMENT}&page_size=1", headers={"Authorization": f"Token {key}"}
        )
        assert json.loads(conn.getresponse().read())["results"], "no plots listed"

        print(f"idempotent: re-sent {len(sample)} plots, all answered 200")
        server_name = f"uvicorn x{args.workers}" if args.workers > 1 else "daphne"
        rate = len(plots) / seconds
        print(f"API upload rate: {rate:.1f} plots/s ({len(plots)} plots, {args.clients} clients, {server_name})")
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=10)
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
