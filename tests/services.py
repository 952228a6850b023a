"""External programs some tests need (slapd, Chromium).

A developer without one sees those tests skipped with the install command; in CI
(CI=true, or HYDRA_TEST_STRICT=1) a missing program fails the test instead, so nothing
is silently skipped where the suite is meant to be complete.
"""

import os
import shutil

import pytest


def strict() -> bool:
    return os.environ.get("CI", "").lower() == "true" or os.environ.get("HYDRA_TEST_STRICT") == "1"


def require_program(path: str, install_hint: str) -> str:
    if os.path.exists(path) or shutil.which(path):
        return path
    message = f"{path} is not installed ({install_hint})"
    if strict():
        pytest.fail(message)
    pytest.skip(message)


def require_module(name: str, install_hint: str):
    """Import an optional package, or skip (fail in CI) with the command that installs it."""
    import importlib

    try:
        return importlib.import_module(name)
    except ImportError:
        message = f"the Python package {name} is not installed ({install_hint})"
        if strict():
            pytest.fail(message)
        pytest.skip(message, allow_module_level=True)
