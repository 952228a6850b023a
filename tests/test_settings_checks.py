"""Secrets from *_FILE variables, the explicit LDAP settings, and the start-up check of the folders."""

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from hydra_portal.checks import check_directories
from hydra_portal.env import env_secret, env_url
from hydra_portal.ldap_config import OFF, ldap_settings

ROOT = Path(__file__).resolve().parent.parent
VAR = "HYDRA_TEST_SECRET"


@pytest.fixture(autouse=True)
def _unset(monkeypatch):
    monkeypatch.delenv(VAR, raising=False)
    monkeypatch.delenv(f"{VAR}_FILE", raising=False)


# -- secrets from files ---------------------------------------------------------------------------


def test_a_secret_comes_from_its_variable_or_the_default(monkeypatch):
    assert env_secret(VAR, "fallback") == "fallback"
    monkeypatch.setenv(VAR, "in-the-environment")
    assert env_secret(VAR, "fallback") == "in-the-environment"


def test_a_secret_comes_from_the_file_its_FILE_variable_names(monkeypatch, tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("s3cr3t with spaces \n")
    monkeypatch.setenv(f"{VAR}_FILE", str(secret))
    # The trailing newline goes, everything else stays.
    assert env_secret(VAR) == "s3cr3t with spaces "


def test_an_empty_secret_file_gives_the_default(monkeypatch, tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("\n")
    monkeypatch.setenv(f"{VAR}_FILE", str(secret))
    assert env_secret(VAR, "fallback") == "fallback"


def test_a_secret_set_both_ways_is_refused(monkeypatch, tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("from-the-file\n")
    monkeypatch.setenv(VAR, "from-the-environment")
    monkeypatch.setenv(f"{VAR}_FILE", str(secret))
    with pytest.raises(ImproperlyConfigured, match=f"set {VAR} or {VAR}_FILE, not both"):
        env_secret(VAR)


def test_a_missing_secret_file_is_a_clear_error(monkeypatch, tmp_path):
    missing = tmp_path / "nowhere" / "secret"
    monkeypatch.setenv(f"{VAR}_FILE", str(missing))
    with pytest.raises(ImproperlyConfigured) as raised:
        env_secret(VAR)
    assert str(raised.value) == f"{VAR}_FILE: cannot read {missing}: No such file or directory"


def test_a_url_with_a_password_may_come_from_a_file_and_is_still_checked(monkeypatch, tmp_path):
    url = tmp_path / "url"
    url.write_text("redis://:pw@127.0.0.1:6379/0\n")
    monkeypatch.setenv(f"{VAR}_FILE", str(url))
    assert env_url(VAR, schemes=("redis",), secret=True) == "redis://:pw@127.0.0.1:6379/0"
    with pytest.raises(ImproperlyConfigured, match=f"{VAR} must be a URL with scheme amqp://"):
        env_url(VAR, schemes=("amqp",), secret=True)
    # A URL that is not a secret does not look at *_FILE.
    assert env_url(VAR, schemes=("redis",)) == ""


def test_the_ldap_bind_password_set_both_ways_is_refused(monkeypatch, tmp_path):
    secret = tmp_path / "bind.pw"
    secret.write_text("from-a-file\n")
    monkeypatch.setenv("HYDRA_LDAP_SERVER_URI", "ldap://127.0.0.1:1/")
    monkeypatch.setenv("HYDRA_LDAP_USER_SEARCH_BASE", "ou=people,dc=x")
    monkeypatch.setenv("HYDRA_LDAP_BIND_PASSWORD_FILE", str(secret))
    monkeypatch.setenv("HYDRA_LDAP_BIND_PASSWORD", "in-the-environment")
    with pytest.raises(ImproperlyConfigured, match="HYDRA_LDAP_BIND_PASSWORD or HYDRA_LDAP_BIND_PASSWORD_FILE"):
        ldap_settings()


def _clean_env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HYDRA_")}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.update(extra)
    return env


def test_the_settings_read_the_secret_key_and_the_database_url_from_files(tmp_path):
    key = tmp_path / "secret_key"
    key.write_text("k" * 60 + "\n")
    url = tmp_path / "database_url"
    url.write_text(f"sqlite:///{tmp_path / 'db' / 'from-file.sqlite3'}\n")
    env = _clean_env(
        HYDRA_DEBUG="false",
        HYDRA_VAR_DIR=str(tmp_path),
        HYDRA_SECRET_KEY_FILE=str(key),
        HYDRA_DATABASE_URL_FILE=str(url),
    )
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='hydra_portal.settings'; django.setup();"
        "from django.conf import settings; print(settings.SECRET_KEY); print(settings.DATABASES['default']['NAME'])"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["k" * 60, str(tmp_path / "db" / "from-file.sqlite3")]
    # The database's folder was made at start-up (apps.core's ready()), not by importing the settings.
    assert (tmp_path / "db").is_dir()


def test_the_settings_refuse_a_secret_key_set_both_ways(tmp_path):
    key = tmp_path / "secret_key"
    key.write_text("k" * 60)
    env = _clean_env(HYDRA_VAR_DIR=str(tmp_path), HYDRA_SECRET_KEY="x" * 60, HYDRA_SECRET_KEY_FILE=str(key))
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode != 0
    assert "ImproperlyConfigured: set HYDRA_SECRET_KEY or HYDRA_SECRET_KEY_FILE, not both" in result.stderr


# -- LDAP: every setting by name ------------------------------------------------------------------


def test_settings_py_assigns_every_ldap_setting_by_name():
    tree = ast.parse((ROOT / "hydra_portal" / "settings.py").read_text())
    assigned = {
        target.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    assert set(OFF) <= assigned
    assert "globals" not in {
        node.func.id for node in ast.walk(tree) if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    }


def test_ldap_off_gives_the_off_values_and_on_gives_the_same_names(monkeypatch, settings):
    monkeypatch.delenv("HYDRA_LDAP_SERVER_URI", raising=False)
    assert ldap_settings() == OFF
    assert settings.AUTH_LDAP_SERVER_URI == ""
    assert "apps.accounts.ldap_backend.DirectoryBackend" not in settings.AUTHENTICATION_BACKENDS
    monkeypatch.setenv("HYDRA_LDAP_SERVER_URI", "ldap://127.0.0.1:1/")
    monkeypatch.setenv("HYDRA_LDAP_USER_DN_TEMPLATE", "uid=%(user)s,ou=people,dc=x")
    on = ldap_settings()
    assert on.keys() == OFF.keys()
    assert on["AUTH_LDAP_SERVER_URI"] == "ldap://127.0.0.1:1/"
    assert on["AUTH_LDAP_USER_DN_TEMPLATE"] == "uid=%(user)s,ou=people,dc=x"


# -- the folders ----------------------------------------------------------------------------------


def test_the_folders_check_is_clean_with_the_test_settings():
    assert check_directories() == []


def test_the_check_reports_a_folder_that_cannot_be_made(settings, tmp_path):
    # A path under a regular file can never be a folder, whoever runs the tests (root included).
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    settings.MEDIA_ROOT = blocker / "media"
    errors = check_directories()
    assert [(e.id, e.msg) for e in errors] == [
        ("hydra.settings.E001", f"HYDRA_MEDIA_ROOT: {blocker / 'media'} cannot be created: Not a directory.")
    ]
    assert "point HYDRA_MEDIA_ROOT" in errors[0].hint
    with pytest.raises(SystemCheckError, match="hydra.settings.E001"):
        call_command("check")


def test_the_check_reports_a_file_where_a_folder_should_be(settings, tmp_path):
    blocker = tmp_path / "static"
    blocker.write_text("not a folder")
    settings.STATIC_ROOT = blocker
    assert [e.msg for e in check_directories()] == [f"HYDRA_STATIC_ROOT: {blocker} exists but is not a directory."]
