"""The HYDRA_* typed readers accept good values and stop the process on bad ones, naming the variable."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from hydra_portal.env import env_bool, env_float, env_int, env_list, env_path, env_url, parse_database_url

ROOT = Path(__file__).resolve().parent.parent
VAR = "HYDRA_TEST_VALUE"


def _clean_env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HYDRA_")}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.update(extra)
    return env


# -- booleans ---------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["1", "true", "TRUE", "yes", "On", " true "])
def test_env_bool_reads_true_spellings(monkeypatch, value):
    monkeypatch.setenv(VAR, value)
    assert env_bool(VAR, False) is True


@pytest.mark.parametrize("value", ["0", "false", "No", "off", ""])
def test_env_bool_reads_false_spellings(monkeypatch, value):
    monkeypatch.setenv(VAR, value)
    assert env_bool(VAR, True) is False


def test_env_bool_falls_back_to_the_default_when_unset(monkeypatch):
    monkeypatch.delenv(VAR, raising=False)
    assert env_bool(VAR, True) is True
    assert env_bool(VAR, False) is False


@pytest.mark.parametrize("value", ["maybe", "2", "yess", "t"])
def test_env_bool_rejects_anything_else_naming_the_variable(monkeypatch, value):
    monkeypatch.setenv(VAR, value)
    with pytest.raises(ImproperlyConfigured, match=rf"{VAR} must be a boolean.*{value!r}"):
        env_bool(VAR, True)


# -- numbers ----------------------------------------------------------------------------------


def test_env_int_reads_integers_with_underscores(monkeypatch):
    monkeypatch.setenv(VAR, "20_000_000")
    assert env_int(VAR, 1) == 20_000_000


def test_env_int_uses_the_default_when_unset_or_empty(monkeypatch):
    monkeypatch.delenv(VAR, raising=False)
    assert env_int(VAR, 7) == 7
    monkeypatch.setenv(VAR, "")
    assert env_int(VAR, 7) == 7


@pytest.mark.parametrize("value", ["abc", "1.5", "12MB"])
def test_env_int_rejects_a_non_integer_naming_the_variable(monkeypatch, value):
    monkeypatch.setenv(VAR, value)
    with pytest.raises(ImproperlyConfigured, match=rf"{VAR} must be an integer, got {value!r}"):
        env_int(VAR, 1)


def test_env_int_enforces_its_minimum_and_maximum(monkeypatch):
    monkeypatch.setenv(VAR, "0")
    with pytest.raises(ImproperlyConfigured, match=rf"{VAR} must be at least 1, got 0"):
        env_int(VAR, 5, minimum=1)
    monkeypatch.setenv(VAR, "5000")
    with pytest.raises(ImproperlyConfigured, match=rf"{VAR} must be at most 2048, got 5000"):
        env_int(VAR, 5, maximum=2048)
    monkeypatch.setenv(VAR, "16")
    assert env_int(VAR, 5, minimum=16, maximum=2048) == 16


def test_env_float_reads_numbers_and_enforces_its_range(monkeypatch):
    monkeypatch.setenv(VAR, "0.25")
    assert env_float(VAR, 0.1, minimum=0.0, maximum=1.0) == 0.25
    monkeypatch.setenv(VAR, "1.5")
    with pytest.raises(ImproperlyConfigured, match=rf"{VAR} must be at most 1.0"):
        env_float(VAR, 0.1, minimum=0.0, maximum=1.0)
    monkeypatch.setenv(VAR, "-0.1")
    with pytest.raises(ImproperlyConfigured, match=rf"{VAR} must be at least 0.0"):
        env_float(VAR, 0.1, minimum=0.0, maximum=1.0)


def test_env_float_rejects_a_non_number_naming_the_variable(monkeypatch):
    monkeypatch.setenv(VAR, "ten percent")
    with pytest.raises(ImproperlyConfigured, match=rf"{VAR} must be a number, got 'ten percent'"):
        env_float(VAR, 0.1)


# -- lists, paths, URLs -----------------------------------------------------------------------


def test_env_list_splits_on_commas_and_drops_blanks(monkeypatch):
    monkeypatch.setenv(VAR, " hydra.jlab.org, ,localhost ,")
    assert env_list(VAR, ["x"]) == ["hydra.jlab.org", "localhost"]


def test_env_path_rejects_a_relative_path_naming_the_variable(monkeypatch, tmp_path):
    monkeypatch.setenv(VAR, str(tmp_path))
    assert env_path(VAR, Path("/nowhere")) == tmp_path
    monkeypatch.setenv(VAR, "var/media")
    with pytest.raises(ImproperlyConfigured, match=rf"{VAR} must be an absolute path, got 'var/media'"):
        env_path(VAR, Path("/nowhere"))


def test_env_url_accepts_the_allowed_schemes(monkeypatch):
    monkeypatch.setenv(VAR, "redis://cache:6379/0")
    assert env_url(VAR, schemes=("redis", "rediss")) == "redis://cache:6379/0"
    monkeypatch.delenv(VAR)
    assert env_url(VAR, schemes=("redis",)) == ""


@pytest.mark.parametrize("value", ["http://cache:6379", "cache:6379", "localhost"])
def test_env_url_rejects_another_scheme_naming_the_variable(monkeypatch, value):
    monkeypatch.setenv(VAR, value)
    with pytest.raises(ImproperlyConfigured, match=rf"{VAR} must be a URL with scheme redis:// or rediss://"):
        env_url(VAR, schemes=("redis", "rediss"))


# -- database URLs ----------------------------------------------------------------------------


def test_an_absolute_sqlite_url_becomes_a_sqlite_database():
    db = parse_database_url("HYDRA_DATABASE_URL", "sqlite:////srv/hydra/db.sqlite3")
    assert db["ENGINE"] == "django.db.backends.sqlite3"
    assert db["NAME"] == "/srv/hydra/db.sqlite3"


@pytest.mark.parametrize("url", ["sqlite:///relative.db", "sqlite:///var/hydra.sqlite3", "sqlite://db.sqlite3"])
def test_a_relative_sqlite_path_is_rejected(url):
    with pytest.raises(ImproperlyConfigured, match=r"HYDRA_DATABASE_URL: a SQLite URL needs an absolute path"):
        parse_database_url("HYDRA_DATABASE_URL", url)


def test_a_mysql_url_becomes_utf8mb4_with_strict_mode():
    db = parse_database_url("HYDRA_DATABASE_URL", "mysql://hydra:s%40cret@db.jlab.org:3307/hydra_halld")
    assert db["ENGINE"] == "django.db.backends.mysql"
    assert (db["NAME"], db["USER"], db["PASSWORD"]) == ("hydra_halld", "hydra", "s@cret")
    assert (db["HOST"], db["PORT"]) == ("db.jlab.org", "3307")
    assert db["OPTIONS"]["charset"] == "utf8mb4"
    assert "STRICT_TRANS_TABLES" in db["OPTIONS"]["sql_mode"]
    assert db["TEST"]["CHARSET"] == "utf8mb4"


def test_a_mysql_url_without_a_port_uses_3306_and_mariadb_is_an_alias():
    db = parse_database_url("HYDRA_DATABASE_URL", "mariadb://u:p@localhost/hydra")
    assert db["ENGINE"] == "django.db.backends.mysql"
    assert db["PORT"] == "3306"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://u:p@host:3306/", "needs a host and a database"),
        ("mysql:///hydra", "needs a host and a database"),
        ("mysql://u:p@host:port/hydra", "port in .* is not a number"),
        ("postgres://u:p@host/hydra", "must start with sqlite:/// or mysql://"),
    ],
)
def test_a_bad_database_url_is_rejected_naming_the_variable(url, message):
    with pytest.raises(ImproperlyConfigured, match=rf"HYDRA_DATABASE_URL.*{message}"):
        parse_database_url("HYDRA_DATABASE_URL", url)


# -- the settings module as a whole ---------------------------------------------------------------

SETUP = "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='hydra_portal.settings'; django.setup()"


def test_importing_settings_with_a_bad_boolean_fails_with_a_clear_message(tmp_path):
    env = _clean_env(HYDRA_DEBUG="maybe", HYDRA_VAR_DIR=str(tmp_path))
    result = subprocess.run(
        [sys.executable, "-c", SETUP], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0
    assert "ImproperlyConfigured: HYDRA_DEBUG must be a boolean" in result.stderr
    assert "'maybe'" in result.stderr


def test_importing_settings_with_a_relative_database_path_fails_with_a_clear_message(tmp_path):
    env = _clean_env(HYDRA_DATABASE_URL="sqlite:///hydra.sqlite3", HYDRA_VAR_DIR=str(tmp_path), HYDRA_DEBUG="true")
    result = subprocess.run(
        [sys.executable, "-c", SETUP], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0
    assert "HYDRA_DATABASE_URL: a SQLite URL needs an absolute path" in result.stderr


def test_settings_without_a_secret_key_refuse_to_run_with_debug_off(tmp_path):
    env = _clean_env(HYDRA_DEBUG="off", HYDRA_VAR_DIR=str(tmp_path))
    result = subprocess.run(
        [sys.executable, "-c", SETUP], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0
    assert "HYDRA_SECRET_KEY must be set when HYDRA_DEBUG is off" in result.stderr


def test_makemigrations_check_runs_without_a_secret_key_and_other_commands_still_refuse(tmp_path):
    env = _clean_env(HYDRA_VAR_DIR=str(tmp_path), HYDRA_DATABASE_URL=f"sqlite:///{tmp_path}/h.sqlite3")
    manage = [sys.executable, "manage.py"]
    checked = subprocess.run(
        [*manage, "makemigrations", "--check", "--dry-run"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert checked.returncode == 0 and "No changes detected" in checked.stdout, checked.stderr
    refused = subprocess.run([*manage, "migrate"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert refused.returncode != 0 and "HYDRA_SECRET_KEY must be set when HYDRA_DEBUG is off" in refused.stderr


def test_manage_py_check_and_the_url_conf_never_import_tensorflow(tmp_path):
    # A finder at the front of sys.meta_path records every attempt, so the check holds whether
    # TensorFlow is installed or not.
    script = textwrap.dedent(
        """
        import sys

        HEAVY = ("tensorflow", "keras", "torch")
        attempts = []

        class Spy:
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in HEAVY:
                    attempts.append(name)
                return None

        sys.meta_path.insert(0, Spy())
        import django, os
        os.environ["DJANGO_SETTINGS_MODULE"] = "hydra_portal.settings"
        django.setup()
        import hydra_portal.urls
        from django.core.management import call_command
        call_command("check")
        assert not attempts, f"imported at start-up: {attempts}"
        assert "tensorflow" not in sys.modules
        print("start-up is light")
        """
    )
    env = _clean_env(HYDRA_VAR_DIR=str(tmp_path), HYDRA_DEBUG="true")
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout
    assert "start-up is light" in result.stdout
