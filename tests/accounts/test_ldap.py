"""Logging in through a real OpenLDAP server (slapd on a loopback port, tree from tests/ldap)."""

import contextlib
import socket
import subprocess
import time
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

from apps.accounts.ldap import connect_signals
from hydra_portal.ldap_config import ldap_settings
from tests import factories
from tests.services import require_module, require_program

# The optional `ldap` extra; a developer without it sees these tests skipped, CI fails instead.
require_module("django_auth_ldap", "pip install -e '.[ldap]'")

HERE = Path(__file__).resolve().parent.parent / "ldap"
ROOT_DN, ROOT_PW = "cn=admin,dc=hydra,dc=test", "admin-secret"
ROLE_MAP = (
    '{"cn=hydra-experts,ou=groups,dc=hydra,dc=test": "Detector expert",'
    ' "cn=hydra-labelers,ou=groups,dc=hydra,dc=test": "Labeler",'
    ' "cn=hydra-admins,ou=groups,dc=hydra,dc=test": "Admin"}'
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def running_slapd(folder: Path, uri: str):
    """slapd serving the database under ``folder`` on ``uri`` (loaded with tree.ldif the first time)."""
    require_program("/usr/sbin/slapd", "apt-get install slapd ldap-utils")
    require_program("ldapadd", "apt-get install ldap-utils")
    fresh = not (folder / "data").exists()
    (folder / "data").mkdir(exist_ok=True)
    conf = folder / "slapd.conf"
    conf.write_text((HERE / "slapd.conf.in").read_text().replace("{dir}", str(folder)))
    server = subprocess.Popen(
        ["/usr/sbin/slapd", "-d", "0", "-h", uri, "-f", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        for _ in range(100):
            probe = subprocess.run(["ldapwhoami", "-x", "-H", uri, "-D", ROOT_DN, "-w", ROOT_PW], capture_output=True)
            if probe.returncode == 0:
                break
            if server.poll() is not None:
                pytest.fail(f"slapd did not start: {server.stderr.read().decode()[-2000:]}")
            time.sleep(0.1)
        if fresh:
            subprocess.run(
                ["ldapadd", "-x", "-H", uri, "-D", ROOT_DN, "-w", ROOT_PW, "-f", str(HERE / "tree.ldif")],
                check=True,
                capture_output=True,
            )
        yield uri
    finally:
        server.terminate()
        server.wait(10)


@pytest.fixture(scope="session")
def slapd(tmp_path_factory):
    """A throw-away slapd loaded with tests/ldap/tree.ldif; yields its URI."""
    with running_slapd(tmp_path_factory.mktemp("slapd"), f"ldap://127.0.0.1:{free_port()}/") as uri:
        yield uri


def configure(settings, monkeypatch, uri, **extra):
    """Set HYDRA_LDAP_* like an operator would, and apply what the settings module would build."""
    env = {
        "HYDRA_LDAP_SERVER_URI": uri,
        "HYDRA_LDAP_BIND_DN": "cn=portal-reader,dc=hydra,dc=test",
        "HYDRA_LDAP_BIND_PASSWORD": "reader-secret",
        "HYDRA_LDAP_USER_SEARCH_BASE": "ou=people,dc=hydra,dc=test",
        "HYDRA_LDAP_GROUP_SEARCH_BASE": "ou=groups,dc=hydra,dc=test",
        "HYDRA_LDAP_GROUP_TYPE": "groupOfNames",
        "HYDRA_LDAP_ROLE_MAP": ROLE_MAP,
        "HYDRA_LDAP_CACHE_TIMEOUT": "0",
        "HYDRA_LDAP_TIMEOUT": "2",
        **extra,
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    for key, value in ldap_settings().items():
        setattr(settings, key, value)
    settings.AUTHENTICATION_BACKENDS = [
        "apps.accounts.throttle.LockoutBackend",
        "apps.accounts.ldap_backend.DirectoryBackend",
        "django.contrib.auth.backends.ModelBackend",
    ]
    connect_signals()


def login(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password})


@pytest.fixture
def directory(slapd, settings, monkeypatch, db):
    configure(settings, monkeypatch, slapd)
    return slapd


def test_a_directory_user_logs_in_with_the_right_password_and_gets_an_account(client, directory):
    response = login(client, "alice", "alice-password")
    assert response.status_code == 302
    alice = get_user_model().objects.get(username="alice")
    assert (alice.first_name, alice.last_name, alice.email) == ("Alice", "Expert", "alice@hydra.test")
    assert client.session["_auth_user_id"] == str(alice.pk)


def test_a_wrong_password_is_refused(client, directory):
    response = login(client, "alice", "not-her-password")
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_an_unknown_user_is_refused_and_no_account_is_made(client, directory):
    response = login(client, "nobody", "whatever")
    assert response.status_code == 200
    assert not get_user_model().objects.filter(username="nobody").exists()


def test_directory_groups_map_to_roles(client, directory):
    login(client, "alice", "alice-password")
    login(client, "bob", "bob-password")
    login(client, "dave", "dave-password")
    users = get_user_model().objects
    assert set(users.get(username="alice").groups.values_list("name", flat=True)) == {"Detector expert"}
    assert set(users.get(username="bob").groups.values_list("name", flat=True)) == {"Labeler"}
    dave = users.get(username="dave")
    assert set(dave.groups.values_list("name", flat=True)) == {"Admin"}
    assert dave.is_staff


def test_a_role_lost_in_the_directory_is_removed_at_the_next_login(client, directory):
    bob = factories.user("bob")
    bob.groups.add(Group.objects.get(name="Detector expert"), Group.objects.get(name="Viewer"))
    login(client, "bob", "bob-password")
    # Detector expert is a mapped role bob no longer has; Viewer is not managed by the directory.
    assert set(bob.groups.values_list("name", flat=True)) == {"Labeler", "Viewer"}


def test_require_group_keeps_out_users_outside_it(client, slapd, settings, monkeypatch, db):
    configure(settings, monkeypatch, slapd, HYDRA_LDAP_REQUIRE_GROUP="cn=hydra-users,ou=groups,dc=hydra,dc=test")
    assert login(client, "oscar", "oscar-password").status_code == 200
    assert login(client, "bob", "bob-password").status_code == 302


def test_deny_group_keeps_out_its_members_even_with_the_right_password(client, slapd, settings, monkeypatch, db):
    configure(settings, monkeypatch, slapd, HYDRA_LDAP_DENY_GROUP="cn=hydra-banned,ou=groups,dc=hydra,dc=test")
    assert login(client, "mallory", "mallory-password").status_code == 200
    assert "_auth_user_id" not in client.session
    assert login(client, "bob", "bob-password").status_code == 302


def test_local_accounts_still_work_with_ldap_on(client, directory):
    factories.user("localuser", password="local-password-1")
    assert login(client, "localuser", "local-password-1").status_code == 302


def test_server_down_gives_a_clear_message_and_local_accounts_still_work(client, settings, monkeypatch, db):
    configure(settings, monkeypatch, f"ldap://127.0.0.1:{free_port()}/")
    response = login(client, "alice", "alice-password")
    assert response.status_code == 200
    assert "directory server cannot be reached" in response.content.decode()
    factories.user("localuser", password="local-password-1")
    assert login(client, "localuser", "local-password-1").status_code == 302


def test_a_bad_ldap_setting_fails_loudly(monkeypatch):
    monkeypatch.setenv("HYDRA_LDAP_SERVER_URI", "ldap://127.0.0.1:1/")
    monkeypatch.setenv("HYDRA_LDAP_USER_SEARCH_BASE", "ou=people,dc=x")
    monkeypatch.setenv("HYDRA_LDAP_GROUP_SEARCH_BASE", "ou=groups,dc=x")
    monkeypatch.setenv("HYDRA_LDAP_GROUP_TYPE", "sometimes")
    with pytest.raises(ImproperlyConfigured, match="HYDRA_LDAP_GROUP_TYPE"):
        ldap_settings()
    monkeypatch.setenv("HYDRA_LDAP_GROUP_TYPE", "groupOfNames")
    monkeypatch.setenv("HYDRA_LDAP_ROLE_MAP", "not json")
    with pytest.raises(ImproperlyConfigured, match="HYDRA_LDAP_ROLE_MAP must be JSON"):
        ldap_settings()


def test_the_bind_password_can_come_from_a_file(monkeypatch, tmp_path):
    secret = tmp_path / "bind.pw"
    secret.write_text("from-a-file\n")
    monkeypatch.setenv("HYDRA_LDAP_SERVER_URI", "ldap://127.0.0.1:1/")
    monkeypatch.setenv("HYDRA_LDAP_USER_SEARCH_BASE", "ou=people,dc=x")
    monkeypatch.setenv("HYDRA_LDAP_BIND_PASSWORD_FILE", str(secret))
    assert ldap_settings()["AUTH_LDAP_BIND_PASSWORD"] == "from-a-file"
