"""The directory's settings: role map checks, several require groups, and what /people/ shows (real slapd)."""

# The slapd fixture comes from test_ldap by import, and tests name it as a parameter.
# ruff: noqa: F811

import json
import os
import subprocess
import sys

from django.contrib.auth import get_user_model
from django.urls import reverse

from apps.accounts.checks import ldap_role_map
from apps.audit.models import AuditEntry
from tests import factories
from tests.accounts.test_ldap import configure, login, slapd  # noqa: F401

GROUPS = "ou=groups,dc=hydra,dc=test"


def check_ids(settings, monkeypatch, slapd, role_map: dict, **extra) -> dict[str, str]:
    configure(settings, monkeypatch, slapd, HYDRA_LDAP_ROLE_MAP=json.dumps(role_map), **extra)
    return {message.id: message.msg for message in ldap_role_map()}


def test_the_suite_role_map_passes_the_check(slapd, settings, monkeypatch, db):
    configure(settings, monkeypatch, slapd)
    assert ldap_role_map() == []


def test_an_unknown_role_name_is_an_error_that_names_the_closest_role(slapd, settings, monkeypatch, db):
    found = check_ids(settings, monkeypatch, slapd, {f"cn=hydra-experts,{GROUPS}": "Detector Expert"})
    assert found == {
        "hydra.ldap.E001": f"HYDRA_LDAP_ROLE_MAP maps 'cn=hydra-experts,{GROUPS}' to 'Detector Expert', "
        "which is not a portal role (did you mean 'Detector expert'?)."
    }


def test_a_text_that_is_no_dn_is_an_error(slapd, settings, monkeypatch, db):
    found = check_ids(settings, monkeypatch, slapd, {"hydra admins": "Admin"})
    assert found == {"hydra.ldap.E002": "HYDRA_LDAP_ROLE_MAP: 'hydra admins' is not a distinguished name."}


def test_one_group_written_two_ways_with_two_roles_is_an_error(slapd, settings, monkeypatch, db):
    role_map = {f"cn=hydra-admins,{GROUPS}": "Admin", "CN=Hydra-Admins, ou=groups, dc=hydra, dc=test": "Labeler"}
    found = check_ids(settings, monkeypatch, slapd, role_map)
    assert list(found) == ["hydra.ldap.E003"]
    assert f"names the group cn=hydra-admins,{GROUPS} twice" in found["hydra.ldap.E003"]


def test_a_group_outside_the_group_search_base_is_a_warning(slapd, settings, monkeypatch, db):
    found = check_ids(settings, monkeypatch, slapd, {"cn=hydra-admins,ou=teams,dc=hydra,dc=test": "Admin"})
    assert list(found) == ["hydra.ldap.W001"]
    assert "outside HYDRA_LDAP_GROUP_SEARCH_BASE (ou=groups,dc=hydra,dc=test)" in found["hydra.ldap.W001"]


def test_manage_py_check_fails_with_the_message(slapd, tmp_path):
    env = {
        **os.environ,
        "HYDRA_DEBUG": "true",
        "HYDRA_DATABASE_URL": f"sqlite:///{tmp_path / 'check.sqlite3'}",
        "HYDRA_LDAP_SERVER_URI": slapd,
        "HYDRA_LDAP_USER_SEARCH_BASE": "ou=people,dc=hydra,dc=test",
        "HYDRA_LDAP_GROUP_SEARCH_BASE": GROUPS,
        "HYDRA_LDAP_ROLE_MAP": json.dumps({f"cn=hydra-labelers, {GROUPS}": "Labeller"}),
    }
    result = subprocess.run([sys.executable, "manage.py", "check"], env=env, capture_output=True, text=True)
    assert result.returncode == 1
    assert "(hydra.ldap.E001)" in result.stderr and "'Labeller', which is not a portal role" in result.stderr


def test_a_role_map_dn_with_spaces_and_capitals_still_gives_the_role(client, slapd, settings, monkeypatch, db):
    role_map = {"CN=Hydra-Admins, OU=groups, dc=hydra, dc=test": "Admin"}
    configure(settings, monkeypatch, slapd, HYDRA_LDAP_ROLE_MAP=json.dumps(role_map))
    assert ldap_role_map() == []
    login(client, "dave", "dave-password")
    assert set(get_user_model().objects.get(username="dave").groups.values_list("name", flat=True)) == {"Admin"}


def test_membership_of_any_of_several_require_groups_lets_a_user_in(client, slapd, settings, monkeypatch, db, caplog):
    required = json.dumps([f"cn=hydra-experts,{GROUPS}", f"cn=hydra-admins,{GROUPS}"])
    configure(settings, monkeypatch, slapd, HYDRA_LDAP_REQUIRE_GROUP=required)
    assert login(client, "alice", "alice-password").status_code == 302
    assert login(type(client)(), "dave", "dave-password").status_code == 302
    refused = login(type(client)(), "bob", "bob-password")
    assert refused.status_code == 200
    assert "Please enter a correct username and password" in refused.content.decode()
    reason = f"not a member of cn=hydra-experts,{GROUPS} or cn=hydra-admins,{GROUPS}"
    assert reason in caplog.text
    entry = AuditEntry.objects.get(action="directory.refused")
    assert entry.details == {"by": "directory", "username": "bob", "reason": reason}


def test_people_marks_directory_accounts_and_the_roles_the_directory_decides(client, slapd, settings, monkeypatch, db):
    configure(settings, monkeypatch, slapd)
    login(client, "dave", "dave-password")
    factories.user("local-admin", roles=["Admin"])
    page = client.get(reverse("people")).content.decode()
    dave_row = page.split('id="person-')[1]
    local_row = page.split('id="person-')[2]
    assert (
        "directory account" in dave_row and dave_row.count(">directory</span>") == 3
    )  # mapped: Admin, expert, labeler
    assert "directory account" not in local_row and ">directory</span>" not in local_row
