"""Typed readers for HYDRA_* environment variables.

Every setting of the portal comes through one of these readers. A value that cannot be
parsed stops the process with a message that names the variable and what it expected,
rather than running with a silently wrong configuration.

Secrets (``env_secret``, ``env_url(..., secret=True)``) may instead come from a file named by
``<NAME>_FILE`` (a Docker or Kubernetes secret, a systemd credential), so that the value never
appears in the environment of the process.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _raw(name: str) -> str | None:
    value = os.environ.get(name)
    return None if value is None else value.strip()


def env_str(name: str, default: str = "") -> str:
    value = _raw(name)
    return default if value is None or value == "" else value


def env_secret(name: str, default: str = "") -> str:
    """``name``'s value, or the content of the file that ``<name>_FILE`` names (trailing newline stripped).

    Setting both is refused: which one wins would be a guess. A file that cannot be read stops the
    process with a message that names the variable and the file.
    """
    value = _raw(name)
    file_name = _raw(f"{name}_FILE")
    if file_name:
        if value:
            raise ImproperlyConfigured(f"set {name} or {name}_FILE, not both")
        try:
            value = Path(file_name).expanduser().read_text(encoding="utf-8").rstrip("\r\n")
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            raise ImproperlyConfigured(f"{name}_FILE: cannot read {file_name}: {reason}") from None
    return default if value is None or value == "" else value


def env_bool(name: str, default: bool) -> bool:
    value = _raw(name)
    if value is None:
        return default
    low = value.lower()
    if low in _TRUE:
        return True
    if low in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (true/false, 1/0, yes/no, on/off), got {value!r}")


def env_int(name: str, default: int, *, minimum: int | None = None, maximum: int | None = None) -> int:
    value = _raw(name)
    if value is None or value == "":
        return default
    try:
        number = int(value.replace("_", ""))
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {value!r}") from None
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, got {number}")
    if maximum is not None and number > maximum:
        raise ImproperlyConfigured(f"{name} must be at most {maximum}, got {number}")
    return number


def env_float(name: str, default: float, *, minimum: float | None = None, maximum: float | None = None) -> float:
    value = _raw(name)
    if value is None or value == "":
        return default
    try:
        number = float(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number, got {value!r}") from None
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, got {number}")
    if maximum is not None and number > maximum:
        raise ImproperlyConfigured(f"{name} must be at most {maximum}, got {number}")
    return number


def env_list(name: str, default: list[str]) -> list[str]:
    value = _raw(name)
    if value is None:
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]


def env_path(name: str, default: Path) -> Path:
    value = _raw(name)
    if value is None or value == "":
        return default
    path = Path(value).expanduser()
    if not path.is_absolute():
        raise ImproperlyConfigured(f"{name} must be an absolute path, got {value!r}")
    return path


def env_url(name: str, default: str = "", *, schemes: tuple[str, ...], secret: bool = False) -> str:
    """A URL with one of ``schemes``; ``secret``: it may hold a password, so ``<name>_FILE`` may give it."""
    value = env_secret(name, default) if secret else env_str(name, default)
    if not value:
        return ""
    scheme = urlsplit(value).scheme
    if scheme not in schemes:
        raise ImproperlyConfigured(
            f"{name} must be a URL with scheme {' or '.join(s + '://' for s in schemes)}, got {value!r}"
        )
    return value


def parse_database_url(name: str, url: str) -> dict:
    """Turn ``sqlite:////abs/path.db`` or ``mysql://user:pass@host:3306/db`` into a DATABASES entry."""
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        # sqlite:///<file>: the third slash ends the (empty) host, so the file is what follows it;
        # sqlite:///relative.db names a relative file and is refused, sqlite:////abs/path.db is /abs/path.db.
        path = unquote(parts.path)[1:]
        if parts.netloc or not path.startswith("/") or not path.strip("/"):
            raise ImproperlyConfigured(
                f"{name}: a SQLite URL needs an absolute path, like sqlite:////srv/hydra/db.sqlite3; got {url!r}"
            )
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": path,
            # WAL lets readers run beside the one writer, and synchronous=NORMAL makes a commit cost
            # no fsync (a power cut may lose the last commits, never corrupt the file). WAL needs a
            # local disk, not NFS.
            "OPTIONS": {
                "timeout": 30,
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    if parts.scheme in ("mysql", "mariadb"):
        database = parts.path.lstrip("/")
        if not parts.hostname or not database:
            raise ImproperlyConfigured(
                f"{name}: a MySQL URL needs a host and a database, like mysql://user:pass@host:3306/hydra; got {url!r}"
            )
        try:
            port = parts.port
        except ValueError:
            raise ImproperlyConfigured(f"{name}: the port in {url!r} is not a number") from None
        # A database that does not answer is reported (503, /healthz) within seconds, not after minutes.
        options = {"charset": "utf8mb4", "sql_mode": "STRICT_TRANS_TABLES", "connect_timeout": 5}
        options.update(dict(parse_qsl(parts.query)))
        return {
            "ENGINE": "django.db.backends.mysql",
            "NAME": database,
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname,
            "PORT": str(port or 3306),
            "OPTIONS": options,
            "CONN_MAX_AGE": 60,
            # A connection kept from an earlier request is pinged first: after a database restart the
            # next request reconnects instead of failing on the dead socket.
            "CONN_HEALTH_CHECKS": True,
            "TEST": {"CHARSET": "utf8mb4", "COLLATION": "utf8mb4_unicode_ci"},
        }
    raise ImproperlyConfigured(f"{name} must start with sqlite:/// or mysql://, got {url!r}")
