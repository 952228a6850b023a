"""Directory changes reach open sessions and API tokens; outages lock nobody out (real slapd, tree edited live)."""

# The slapd fixture comes from test_ldap by import, and tests name it as a parameter.
# ruff: noqa: F811

import io
import socket
import subprocess
import time

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.urls import reverse

from apps.accounts.models import ApiToken, DirectoryAccount
from apps.audit.models import AuditEntry
from tests import factories
from tests.accounts.test_ldap import (  # noqa: F401
    ROOT_DN,
    ROOT_PW,
    configure,
    free_port,
    login,
    running_slapd,
    slapd,
)

GROUPS = "ou=groups,dc=hydra,dc=test"
BANNED = f"cn=hydra-banned,{GROUPS}"
USERS = f"cn=hydra-users,{GROUPS}"


def person(uid: str) -> str:
    return f"uid={uid},ou=people,dc=hydra,dc=test"


@pytest.fixture
def tree(slapd):
    """Edit the directory while a test runs; every edit is undone afterwards."""

    class Tree:
        undo: list[str] = []

        def modify(self, ldif: str, undo: str) -> None:
            run_ldif(slapd, ldif)
            self.undo.append(undo)

        def add_member(self, group: str, uid: str) -> None:
            self.modify(member_ldif(group, uid, "add"), member_ldif(group, uid, "delete"))

        def remove_member(self, group: str, uid: str) -> None:
            self.modify(member_ldif(group, uid, "delete"), member_ldif(group, uid, "add"))

    edits = Tree()
    edits.undo = []
    yield edits
    for ldif in reversed(edits.undo):
        run_ldif(slapd, ldif)


def run_ldif(uri: str, ldif: str) -> None:
    subprocess.run(
        ["ldapmodify", "-x", "-H", uri, "-D", ROOT_DN, "-w", ROOT_PW],
        input=ldif.encode(),
        check=True,
        capture_output=True,
    )


def member_ldif(group: str, uid: str, change: str) -> str:
    return f"dn: {group}\nchangetype: modify\n{change}: member\nmember: {person(uid)}\n"


@pytest.fixture
def directory(slapd, settings, monkeypatch, db):
    """The suite's directory with a deny group, and a re-check on every request."""
    configure(settings, monkeypatch, slapd, HYDRA_LDAP_DENY_GROUP=BANNED, HYDRA_LDAP_RECHECK_SECONDS="0")
    return slapd


def roles(username: str) -> set[str]:
    return set(get_user_model().objects.get(username=username).groups.values_list("name", flat=True))


def test_a_session_ends_at_the_next_request_once_the_user_is_in_the_deny_group(client, directory, tree):
    assert login(client, "dave", "dave-password").status_code == 302
    assert client.get(reverse("people")).status_code == 200
    tree.add_member(BANNED, "dave")
    response = client.get(reverse("people"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/").status_code == 302
    assert roles("dave") == set()
    dave = get_user_model().objects.get(username="dave")
    assert not dave.is_staff
    assert DirectoryAccount.objects.get(user=dave).refused == f"member of the deny group {BANNED}"


def test_a_token_stops_working_once_the_user_is_in_the_deny_group(client, directory, tree):
    login(type(client)(), "dave", "dave-password")  # a browser elsewhere; the script below has only its token
    dave = get_user_model().objects.get(username="dave")
    plot_type = factories.plot_type(factories.experiment())
    token, key = ApiToken.issue(dave, "ci")
    api = {"HTTP_AUTHORIZATION": f"Token {key}", "content_type": "application/json"}
    url = f"/api/v1/plot-types/{plot_type.pk}/"
    assert client.patch(url, {"description": "before"}, **api).status_code == 200
    tree.add_member(BANNED, "dave")
    response = client.patch(url, {"description": "after"}, **api)
    assert response.status_code == 401
    assert "directory no longer lets this user in" in response.json()["error"]["message"]
    token.refresh_from_db()
    assert not token.is_active
    plot_type.refresh_from_db()
    assert plot_type.description == "before"
    # Later uses meet a revoked token without asking the directory again.
    assert client.patch(url, {"description": "after"}, **api).status_code == 401


def test_every_session_and_token_of_a_user_dropped_from_the_require_group_ends(
    client, slapd, settings, monkeypatch, db, tree
):
    configure(settings, monkeypatch, slapd, HYDRA_LDAP_REQUIRE_GROUP=USERS, HYDRA_LDAP_RECHECK_SECONDS="0")
    other = type(client)()
    login(client, "bob", "bob-password")
    login(other, "bob", "bob-password")
    bob = get_user_model().objects.get(username="bob")
    _, key = ApiToken.issue(bob, "script")
    tree.remove_member(USERS, "bob")
    assert client.get(reverse("account")).status_code == 302
    # The second browser's session is refused by its changed session hash, without asking the directory.
    assert other.get(reverse("account")).status_code == 302
    assert client.get("/api/v1/plot-types/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 401
    assert not bob.api_tokens.active().exists()
    assert roles("bob") == set()


def test_a_user_deleted_from_the_directory_loses_the_session(client, directory, tree):
    login(client, "alice", "alice-password")
    tree.modify(
        f"dn: {person('alice')}\nchangetype: delete\n",
        f"dn: {person('alice')}\nchangetype: add\nobjectClass: inetOrgPerson\nuid: alice\ncn: Alice Expert\n"
        "givenName: Alice\nsn: Expert\nmail: alice@hydra.test\nuserPassword: alice-password\n",
    )
    assert client.get(reverse("account")).status_code == 302
    alice = get_user_model().objects.get(username="alice")
    assert DirectoryAccount.objects.get(user=alice).refused == "no longer in the directory"
    assert roles("alice") == set()


def test_the_directory_is_asked_only_once_per_recheck_interval(client, slapd, settings, monkeypatch, db, tree):
    configure(settings, monkeypatch, slapd, HYDRA_LDAP_DENY_GROUP=BANNED, HYDRA_LDAP_RECHECK_SECONDS="300")
    login(client, "dave", "dave-password")
    tree.add_member(BANNED, "dave")
    # Within the interval the session is trusted; ldap_sync applies the change at once.
    assert client.get(reverse("people")).status_code == 200
    call_command("ldap_sync", stdout=(out := io.StringIO()))
    assert out.getvalue().strip() == "ldap_sync: 0 still allowed, 1 refused."
    assert client.get(reverse("people")).status_code == 302


def test_roles_follow_the_directory_on_a_recheck_and_are_audited_with_the_directory_as_actor(client, directory, tree):
    login(client, "bob", "bob-password")
    tree.add_member(f"cn=hydra-experts,{GROUPS}", "bob")
    assert client.get(reverse("account")).status_code == 200
    assert roles("bob") == {"Labeler", "Detector expert"}
    entry = AuditEntry.objects.filter(action=AuditEntry.Action.CHANGE_ROLES, details__added=["Detector expert"]).get()
    assert entry.actor is None and entry.details["by"] == "directory"


def test_a_refused_login_brings_the_stored_roles_in_line_and_is_logged_for_admins(client, directory, tree, caplog):
    login(client, "dave", "dave-password")
    client.logout()
    tree.add_member(BANNED, "dave")
    response = login(client, "dave", "dave-password")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Please enter a correct username and password" in page and "deny group" not in page
    assert roles("dave") == set()
    assert f"directory refused dave ({person('dave')}): member of the deny group {BANNED}" in caplog.text
    refusal = AuditEntry.objects.get(action="directory.refused")
    assert refusal.actor is None and refusal.details["reason"] == f"member of the deny group {BANNED}"


def test_a_local_account_taken_over_by_the_directory_loses_its_local_password(client, directory, tree):
    factories.user("bob", password="local-password-1")
    assert login(client, "bob", "bob-password").status_code == 302
    bob = get_user_model().objects.get(username="bob")
    assert not bob.has_usable_password()
    assert AuditEntry.objects.get(action="directory.account").details["change"] == "local password removed"
    client.logout()
    tree.add_member(BANNED, "bob")
    response = login(client, "bob", "local-password-1")
    assert response.status_code == 200 and "_auth_user_id" not in client.session


def test_a_login_works_at_the_first_try_after_an_outage_ends(client, settings, monkeypatch, db, tmp_path):
    uri = f"ldap://127.0.0.1:{free_port()}/"
    configure(settings, monkeypatch, uri, HYDRA_LDAP_CACHE_TIMEOUT="300")
    with running_slapd(tmp_path, uri):  # a directory that has been up (bob's DN is cached, alice's is not)
        assert login(type(client)(), "bob", "bob-password").status_code == 302
    # The server is down: the failed lookup must not be remembered for HYDRA_LDAP_CACHE_TIMEOUT.
    assert "directory server cannot be reached" in login(client, "alice", "alice-password").content.decode()
    with running_slapd(tmp_path, uri):
        assert login(client, "alice", "alice-password").status_code == 302


def test_a_user_added_to_the_directory_logs_in_at_once_though_the_miss_was_seen(
    client, slapd, settings, monkeypatch, db, tree
):
    configure(settings, monkeypatch, slapd, HYDRA_LDAP_CACHE_TIMEOUT="300")
    assert login(client, "carol", "carol-password").status_code == 200
    tree.modify(
        f"dn: {person('carol')}\nchangetype: add\nobjectClass: inetOrgPerson\nuid: carol\ncn: Carol\nsn: New\n"
        "userPassword: carol-password\n",
        f"dn: {person('carol')}\nchangetype: delete\n",
    )
    assert login(client, "carol", "carol-password").status_code == 302


def test_the_local_admin_logs_in_while_the_directory_is_down_after_five_directory_failures(
    client, settings, monkeypatch, db
):
    configure(settings, monkeypatch, f"ldap://127.0.0.1:{free_port()}/")
    for _ in range(5):
        assert "directory server cannot be reached" in login(client, "alice", "alice-password").content.decode()
    assert "Too many failed logins" not in login(client, "alice", "alice-password").content.decode()
    factories.user("root", password="local-password-1", is_superuser=True, is_staff=True)
    assert login(client, "root", "local-password-1").status_code == 302


def test_a_wrong_local_password_still_counts_while_the_directory_is_down(client, settings, monkeypatch, db):
    configure(settings, monkeypatch, f"ldap://127.0.0.1:{free_port()}/")
    factories.user("root", password="local-password-1")
    for _ in range(5):
        login(client, "root", "wrong-password")
    assert "Too many failed logins" in login(client, "root", "local-password-1").content.decode()


def test_a_directory_that_never_answers_delays_a_local_login_by_the_timeout_at_most(client, settings, monkeypatch, db):
    with socket.socket() as silent:  # accepts connections (the kernel does) and never says a word
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        configure(settings, monkeypatch, f"ldap://127.0.0.1:{silent.getsockname()[1]}/", HYDRA_LDAP_TIMEOUT="1")
        factories.user("root", password="local-password-1")
        started = time.monotonic()
        assert login(client, "root", "local-password-1").status_code == 302
        assert time.monotonic() - started < 2.5


def test_an_outage_keeps_open_sessions_and_does_not_revoke_anything(client, slapd, settings, monkeypatch, db):
    configure(settings, monkeypatch, slapd, HYDRA_LDAP_RECHECK_SECONDS="0")
    login(client, "dave", "dave-password")
    configure(settings, monkeypatch, f"ldap://127.0.0.1:{free_port()}/", HYDRA_LDAP_RECHECK_SECONDS="0")
    assert client.get(reverse("people")).status_code == 200
    assert roles("dave") == {"Admin"}
    with pytest.raises(CommandError, match="unreachable"):
        call_command("ldap_sync")
