"""Screenshots of the monitoring pages with a trained demo model, for the README.

Seeds a small demo in a temporary portal, trains the default model briefly, classifies, serves the
portal with daphne and saves docs/screenshots/runtime.png, monitoring-log.png and model-page.png:

    python bench/runtime_screenshot.py [--runs 20] [--epochs 12]
"""

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "docs" / "screenshots"
ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-gpu",
]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--epochs", type=int, default=12)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "HYDRA_VAR_DIR": tmp, "HYDRA_MEDIA_ROOT": f"{tmp}/media"}
        env.pop("HYDRA_DATABASE_URL", None)
        env.pop("HYDRA_REDIS_URL", None)

        def manage(*command):
            subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT, env=env, check=True)

        manage("migrate", "-v0")
        manage("seed_demo", "--runs", str(args.runs))
        from ml.synthetic import DEMO_PLOT_TYPES

        types = [a for d in DEMO_PLOT_TYPES for a in ("--plot-type", d.name)]
        manage("train", *types, "--shared", "--experiment", "GlueX", "--epochs", str(args.epochs), "--wait")
        manage("classify")
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        server = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "daphne"),
                "-b",
                "127.0.0.1",
                "-p",
                str(port),
                "hydra_portal.asgi:application",
            ],
            cwd=ROOT,
            env=env,
            stderr=subprocess.DEVNULL,
        )
        try:
            time.sleep(3)
            from playwright.sync_api import sync_playwright

            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
                page = browser.new_page(viewport={"width": 1280, "height": 800})
                for path, name in [
                    ("/runtime/", "runtime"),
                    ("/monitoring/log/?hours=720", "monitoring-log"),
                    ("/models/", "models"),
                ]:
                    page.goto(f"http://127.0.0.1:{port}{path}")
                    page.wait_for_timeout(1500)
                    page.screenshot(path=str(SHOTS / f"{name}.png"))
                    print(f"saved docs/screenshots/{name}.png")
                browser.close()
        finally:
            server.terminate()
            server.wait(10)


if __name__ == "__main__":
    main()
