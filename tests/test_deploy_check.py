"""Production settings pass Django's deployment checklist."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    env = {
        **os.environ,
        "HYDRA_DEBUG": "false",
        "HYDRA_SECRET_KEY": secrets.token_urlsafe(60),
        "HYDRA_ALLOWED_HOSTS": "hydra.example.org",
        "HYDRA_VAR_DIR": str(tmp_path),
    }
    env.pop("HYDRA_DATABASE_URL", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_without_a_secret_key_refuses_to_start(tmp_path):
    env = {**os.environ, "HYDRA_DEBUG": "false", "HYDRA_VAR_DIR": str(tmp_path)}
    env.pop("HYDRA_SECRET_KEY", None)
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode != 0
    assert "HYDRA_SECRET_KEY must be set" in result.stderr
