"""Optional LDAP login: django-auth-ldap settings from HYDRA_LDAP_* variables.

Enabled only when HYDRA_LDAP_SERVER_URI is set. Local accounts keep working: the model
backend stays after the LDAP backend. ``ldap_settings()`` always returns every name of ``OFF``
(settings.py assigns each one by name); without a server they keep the values of ``OFF``.
"""

from __future__ import annotations

import json
import operator
from functools import reduce

from django.core.exceptions import ImproperlyConfigured

from hydra_portal.env import env_bool, env_int, env_secret, env_str

GROUP_TYPES = {
    "groupOfNames": ("GroupOfNamesType", "(objectClass=groupOfNames)"),
    "groupOfUniqueNames": ("GroupOfUniqueNamesType", "(objectClass=groupOfUniqueNames)"),
    "posixGroup": ("PosixGroupType", "(objectClass=posixGroup)"),
    "memberDN": ("MemberDNGroupType", "(objectClass=*)"),
    "activeDirectory": ("ActiveDirectoryGroupType", "(objectClass=group)"),
}
DEFAULT_ATTR_MAP = {"first_name": "givenName", "last_name": "sn", "email": "mail"}
# Every setting ldap_settings() returns, with its value while directory login is off (django-auth-ldap's
# own defaults where it has one; an empty AUTH_LDAP_SERVER_URI is what the portal tests for "off").
OFF = {
    "AUTH_LDAP_SERVER_URI": "",
    "AUTH_LDAP_BIND_DN": "",
    "AUTH_LDAP_BIND_PASSWORD": "",
    "AUTH_LDAP_START_TLS": False,
    "AUTH_LDAP_USER_ATTR_MAP": {},
    "AUTH_LDAP_CACHE_TIMEOUT": 0,
    "AUTH_LDAP_ALWAYS_UPDATE_USER": True,
    "AUTH_LDAP_CONNECTION_OPTIONS": {},
    "AUTH_LDAP_USER_DN_TEMPLATE": None,
    "AUTH_LDAP_USER_SEARCH": None,
    "AUTH_LDAP_GROUP_SEARCH": None,
    "AUTH_LDAP_GROUP_TYPE": None,
    "AUTH_LDAP_FIND_GROUP_PERMS": False,
    "AUTH_LDAP_REQUIRE_GROUP": None,
    "HYDRA_LDAP_RECHECK_SECONDS": 300,
    "HYDRA_LDAP_REQUIRE_GROUPS": [],
    "HYDRA_LDAP_DENY_GROUPS": [],
    "HYDRA_LDAP_ROLE_MAP": {},
}


def env_json(name: str, default):
    raw = env_str(name, "")
    if not raw:
        return default
    try:
        value = json.loads(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be JSON: {exc}") from None
    if not isinstance(value, type(default)):
        raise ImproperlyConfigured(f"{name} must be a JSON {type(default).__name__}, got {raw!r}")
    return value


def env_dn_list(name: str) -> list[str]:
    """One DN, or a JSON list of DNs (DNs hold commas, so no plain separator would do)."""
    raw = env_str(name, "").strip()
    if not raw:
        return []
    if not raw.startswith("["):
        return [raw]
    value = env_json(name, [])
    if not value or not all(isinstance(dn, str) and dn.strip() for dn in value):
        raise ImproperlyConfigured(f"{name} must be one group DN or a JSON list of group DNs, got {raw!r}")
    return [dn.strip() for dn in value]


def ldap_settings() -> dict:
    """Every AUTH_LDAP_* and HYDRA_LDAP_* setting (the names of ``OFF``); ``OFF`` when LDAP is not configured."""
    uri = env_str("HYDRA_LDAP_SERVER_URI")
    if not uri:
        return dict(OFF)
    try:
        import ldap
        from django_auth_ldap import config
    except ImportError:
        raise ImproperlyConfigured(
            "HYDRA_LDAP_SERVER_URI is set but django-auth-ldap is not installed: pip install 'hydra-portal[ldap]'"
        ) from None

    settings = {
        **OFF,
        "AUTH_LDAP_SERVER_URI": uri,
        "AUTH_LDAP_BIND_DN": env_str("HYDRA_LDAP_BIND_DN"),
        "AUTH_LDAP_BIND_PASSWORD": env_secret("HYDRA_LDAP_BIND_PASSWORD"),
        "AUTH_LDAP_START_TLS": env_bool("HYDRA_LDAP_START_TLS", False),
        "AUTH_LDAP_USER_ATTR_MAP": env_json("HYDRA_LDAP_ATTR_MAP", DEFAULT_ATTR_MAP),
        "AUTH_LDAP_CACHE_TIMEOUT": env_int("HYDRA_LDAP_CACHE_TIMEOUT", 300, minimum=0),
        # How long a directory user's session or token is trusted before the directory is asked again.
        "HYDRA_LDAP_RECHECK_SECONDS": env_int("HYDRA_LDAP_RECHECK_SECONDS", 300, minimum=0),
        "AUTH_LDAP_ALWAYS_UPDATE_USER": True,
        "AUTH_LDAP_CONNECTION_OPTIONS": {
            ldap.OPT_NETWORK_TIMEOUT: env_int("HYDRA_LDAP_TIMEOUT", 5, minimum=1),
            ldap.OPT_TIMEOUT: env_int("HYDRA_LDAP_TIMEOUT", 5, minimum=1),
            ldap.OPT_REFERRALS: 0,
        },
    }
    settings.update(_user_lookup(ldap, config))
    settings.update(_group_settings(ldap, config))
    # {"cn=hydra-experts,ou=groups,dc=lab,dc=org": "Detector expert", ...}: directory group → role.
    settings["HYDRA_LDAP_ROLE_MAP"] = env_json("HYDRA_LDAP_ROLE_MAP", {})
    return settings


def _user_lookup(ldap, config) -> dict:
    """How a user's entry is found: a DN template, else a search under HYDRA_LDAP_USER_SEARCH_BASE."""
    template = env_str("HYDRA_LDAP_USER_DN_TEMPLATE")
    if template:
        return {"AUTH_LDAP_USER_DN_TEMPLATE": template}
    base = env_str("HYDRA_LDAP_USER_SEARCH_BASE")
    if not base:
        raise ImproperlyConfigured("set HYDRA_LDAP_USER_SEARCH_BASE (or HYDRA_LDAP_USER_DN_TEMPLATE) for LDAP login")
    user_filter = env_str("HYDRA_LDAP_USER_FILTER", "(uid=%(user)s)")
    return {"AUTH_LDAP_USER_SEARCH": config.LDAPSearch(base, ldap.SCOPE_SUBTREE, user_filter)}


def _group_settings(ldap, config) -> dict:
    """The group search, its type and the require and deny groups; none without HYDRA_LDAP_GROUP_SEARCH_BASE."""
    group_base = env_str("HYDRA_LDAP_GROUP_SEARCH_BASE")
    if not group_base:
        if env_str("HYDRA_LDAP_REQUIRE_GROUP") or env_str("HYDRA_LDAP_DENY_GROUP"):
            raise ImproperlyConfigured("HYDRA_LDAP_REQUIRE_GROUP / DENY_GROUP need HYDRA_LDAP_GROUP_SEARCH_BASE")
        return {}
    kind = env_str("HYDRA_LDAP_GROUP_TYPE", "groupOfNames")
    if kind not in GROUP_TYPES:
        raise ImproperlyConfigured(f"HYDRA_LDAP_GROUP_TYPE must be one of {', '.join(GROUP_TYPES)}, got {kind!r}")
    class_name, object_filter = GROUP_TYPES[kind]
    settings = {
        "AUTH_LDAP_GROUP_SEARCH": config.LDAPSearch(group_base, ldap.SCOPE_SUBTREE, object_filter),
        "AUTH_LDAP_GROUP_TYPE": getattr(config, class_name)(),
        "AUTH_LDAP_FIND_GROUP_PERMS": False,
    }
    required = env_dn_list("HYDRA_LDAP_REQUIRE_GROUP")
    if required:
        # Membership of any one of them is enough.
        settings["AUTH_LDAP_REQUIRE_GROUP"] = reduce(operator.or_, map(config.LDAPGroupQuery, required))
    settings["HYDRA_LDAP_REQUIRE_GROUPS"] = required
    # Checked by apps.accounts.ldap_backend (django-auth-ldap takes a single deny group only).
    settings["HYDRA_LDAP_DENY_GROUPS"] = env_dn_list("HYDRA_LDAP_DENY_GROUP")
    return settings
