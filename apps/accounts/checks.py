"""System checks of the directory settings, so a wrong role map fails `manage.py check` and start-up, not a login."""

from __future__ import annotations

import difflib

from django.conf import settings
from django.core import checks

from apps.accounts.roles import ROLES


@checks.register("ldap")
def ldap_role_map(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    if not getattr(settings, "AUTH_LDAP_SERVER_URI", ""):
        return []
    messages: list[checks.CheckMessage] = []
    role_map = getattr(settings, "HYDRA_LDAP_ROLE_MAP", {})
    base = getattr(settings, "AUTH_LDAP_GROUP_SEARCH", None)
    base_dn = _dn_or_error(messages, "HYDRA_LDAP_GROUP_SEARCH_BASE", base.base_dn) if base is not None else None
    if role_map and base is None:
        messages.append(
            checks.Error(
                "HYDRA_LDAP_ROLE_MAP is set but HYDRA_LDAP_GROUP_SEARCH_BASE is not: no group would ever be found.",
                hint="Set HYDRA_LDAP_GROUP_SEARCH_BASE to the subtree holding the mapped groups.",
                id="hydra.ldap.E004",
            )
        )
    _check_role_map(messages, role_map, base_dn)
    for setting in ("HYDRA_LDAP_REQUIRE_GROUPS", "HYDRA_LDAP_DENY_GROUPS"):
        for dn in getattr(settings, setting, []):
            _dn_or_error(messages, setting.removesuffix("S"), dn)
    return messages


def _dn_or_error(messages: list[checks.CheckMessage], setting: str, dn) -> str | None:
    """The normalised ``dn``, or None with an error added to ``messages`` where it is not a DN."""
    from apps.accounts.directory import normalise_dn

    try:
        return normalise_dn(dn)
    except Exception:  # ldap.DECODING_ERROR, or a non-string from JSON
        messages.append(
            checks.Error(
                f"{setting}: {dn!r} is not a distinguished name.",
                hint="Write a group DN such as cn=hydra-admins,ou=groups,dc=lab,dc=org.",
                id="hydra.ldap.E002",
            )
        )
        return None


def _check_role_map(messages: list[checks.CheckMessage], role_map: dict, base_dn: str | None) -> None:
    """Each mapped group: a known role, a valid DN, mapped once, and inside the group search base."""
    seen: dict[str, tuple[str, object]] = {}
    for dn, role in role_map.items():
        if role not in ROLES:
            messages.append(_unknown_role(dn, role))
        normal = _dn_or_error(messages, "HYDRA_LDAP_ROLE_MAP", dn)
        if normal is None:
            continue
        if normal in seen and seen[normal][1] != role:
            messages.append(
                checks.Error(
                    f"HYDRA_LDAP_ROLE_MAP names the group {normal} twice ({seen[normal][0]!r} → {seen[normal][1]!r}, "
                    f"{dn!r} → {role!r}); the directory compares DNs without case or spaces after commas.",
                    hint="Map each group once; give a group several roles through the roles' own permissions.",
                    id="hydra.ldap.E003",
                )
            )
        seen[normal] = (dn, role)
        if base_dn and normal != base_dn and not normal.endswith("," + base_dn):
            messages.append(
                checks.Warning(
                    f"HYDRA_LDAP_ROLE_MAP: {dn!r} is outside HYDRA_LDAP_GROUP_SEARCH_BASE ({base_dn}), "
                    "so the group search never finds it and nobody gets its role.",
                    hint="Widen HYDRA_LDAP_GROUP_SEARCH_BASE or correct the DN.",
                    id="hydra.ldap.W001",
                )
            )


def _unknown_role(dn, role) -> checks.Error:
    close = difflib.get_close_matches(str(role), ROLES, n=1, cutoff=0.6)
    return checks.Error(
        f"HYDRA_LDAP_ROLE_MAP maps {dn!r} to {role!r}, which is not a portal role"
        + (f" (did you mean {close[0]!r}?)." if close else "."),
        hint=f"Roles are named exactly: {', '.join(ROLES)}.",
        id="hydra.ldap.E001",
    )
