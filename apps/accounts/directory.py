"""Directory-managed accounts: roles from directory groups, re-validation of sessions and tokens, refusals.

A user the directory has let in gets a DirectoryAccount: no usable local password, portal roles that
follow the mapped directory groups. Every HYDRA_LDAP_RECHECK_SECONDS (per user, in the cache) the
directory is asked again; a user it no longer lets in (deny group, outside the require groups, gone)
loses every session (a new unusable password changes the session hash), every API token and every
mapped role at once. Changes are audited with the directory as actor (no user, ``by: directory``).
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from apps.accounts.models import DirectoryAccount
from apps.accounts.roles import ADMIN

log = logging.getLogger("apps.accounts.ldap")

BY = "directory"
# Audit actions of the directory's own decisions (roles and tokens use the existing ones).
REFUSED = "directory.refused"  # AuditEntry.Action.DIRECTORY_REFUSED
TAKEN_OVER = "directory.account"  # AuditEntry.Action.DIRECTORY_ACCOUNT
# After an unreachable directory a session is trusted for this long at most before asking again.
RETRY_SECONDS = 30

ALLOWED, LOCAL, DENIED, UNREACHABLE = "allowed", "local", "refused", "unreachable"


def enabled() -> bool:
    return bool(getattr(settings, "AUTH_LDAP_SERVER_URI", ""))


def normalise_dn(dn: str) -> str:
    """The form the directory compares: python-ldap's parse and print (no spaces after commas), lower case.

    Raises ldap.DECODING_ERROR for text that is not a DN.
    """
    import ldap.dn  # python-ldap is optional: imported only where the directory is configured

    return ldap.dn.dn2str(ldap.dn.str2dn(dn.strip())).lower()


def role_map() -> dict[str, str]:
    import ldap

    mapped = {}
    for dn, role in getattr(settings, "HYDRA_LDAP_ROLE_MAP", {}).items():
        try:
            mapped[normalise_dn(dn)] = role
        except ldap.DECODING_ERROR:
            continue  # reported by the system check hydra.ldap.E002
    return mapped


def _audit(action, obj, **details):
    from apps.audit import record

    return record(None, action, obj, by=BY, **details)


def set_roles(user, group_dns, reason: str = "", save: bool = False) -> None:
    """Give ``user`` exactly the mapped roles of ``group_dns``; unmapped roles are left alone.

    Written through the m2m table, so the generic audit signal (which names the request's user as
    actor) stays quiet; one entry names the directory instead.
    """
    import ldap

    mapping = role_map()
    if not mapping:
        return
    member_of = set()
    for dn in group_dns:
        try:
            member_of.add(normalise_dn(dn))
        except ldap.DECODING_ERROR:
            continue
    wanted = {role for dn, role in mapping.items() if dn in member_of}
    managed = set(mapping.values())
    through = type(user).groups.through
    current = set(user.groups.filter(name__in=managed).values_list("name", flat=True))
    removed, added = sorted(current - wanted), sorted(wanted - current)
    if removed:
        through.objects.filter(user=user, group__name__in=removed).delete()
    if added:
        through.objects.bulk_create([through(user=user, group=g) for g in Group.objects.filter(name__in=added)])
    staff = ADMIN in wanted or user.is_superuser
    if staff != user.is_staff:
        user.is_staff = staff
        if save:  # otherwise the caller saves the user (django-auth-ldap does after populate_user)
            type(user).objects.filter(pk=user.pk).update(is_staff=staff)
    if removed or added:
        from apps.audit.models import AuditEntry

        changes = {key: value for key, value in (("added", added), ("removed", removed)) if value}
        _audit(AuditEntry.Action.CHANGE_ROLES, user, **changes, **({"reason": reason} if reason else {}))


def take_over(user, dn: str) -> None:
    """After the directory let ``user`` in: mark the account directory-managed, without a local password."""
    if user.has_usable_password():
        user.set_unusable_password()
        type(user).objects.filter(pk=user.pk).update(password=user.password)
        _audit(TAKEN_OVER, user, change="local password removed", dn=dn)
    DirectoryAccount.objects.update_or_create(
        user=user, defaults={"dn": dn, "checked_at": timezone.now(), "refused": ""}
    )
    cache.set(_key(user.pk), ALLOWED, recheck_seconds())


def refused_by_directory(username: str, reason: str, dn: str | None = None) -> None:
    """A login or a re-check the directory refused: log it for admins and apply it to a managed account."""
    from django.contrib.auth import get_user_model

    log.warning("directory refused %s (%s): %s", username, dn or "no entry", reason)
    user = get_user_model().objects.filter(username__iexact=username, directory_account__isnull=False).first()
    if user is None:
        _audit(REFUSED, None, username=username, reason=reason)
        return
    revoke(user, reason)


@transaction.atomic
def revoke(user, reason: str) -> None:
    """Take everything from a managed account the directory no longer lets in."""
    from apps.audit.models import AuditEntry

    account = DirectoryAccount.objects.select_for_update().get(user=user)
    account.refused, account.checked_at = reason[:200], timezone.now()
    account.save(update_fields=["refused", "checked_at"])
    # A new random unusable password changes the session hash: every open session of the user ends.
    user.set_unusable_password()
    type(user).objects.filter(pk=user.pk).update(password=user.password)
    set_roles(user, [], reason, save=True)
    for token in user.api_tokens.active():
        token.revoke()
        _audit(AuditEntry.Action.TOKEN, token, change="revoked", reason=reason)
    _audit(REFUSED, user, username=user.get_username(), reason=reason)
    cache.delete(_key(user.pk))


def recheck_seconds() -> int:
    return getattr(settings, "HYDRA_LDAP_RECHECK_SECONDS", 300)


def _key(pk) -> str:
    return f"hydra-directory-check:{pk}"


def check(user, request=None) -> str:
    """Ask the directory about ``user`` now: ALLOWED, LOCAL (not directory-managed), DENIED or UNREACHABLE."""
    import ldap

    from apps.accounts.ldap_backend import DirectoryBackend, DirectoryUser

    if not DirectoryAccount.objects.filter(user=user).exists():
        return LOCAL
    entry = DirectoryUser(DirectoryBackend(), username=user.get_username(), request=request, fresh=True)
    try:
        try:
            gone = entry.dn is None or entry.attrs is None
        except ldap.NO_SUCH_OBJECT:  # a DN template naming an entry that was deleted
            gone = True
        if gone:
            refused_by_directory(user.get_username(), "no longer in the directory")
            return DENIED
        try:
            entry._check_requirements()  # refusals are applied by DirectoryUser itself
        except entry.AuthenticationFailed:
            return DENIED
        # Attributes and roles follow the directory (populate_user → apps.accounts.ldap.on_populate).
        entry._get_or_create_user(force_populate=True)
    except ldap.LDAPError as exc:
        log.warning("directory unreachable while re-checking %s: %s", user.get_username(), exc)
        return UNREACHABLE
    return ALLOWED


def still_allowed(user, request=None) -> bool:
    """False once the directory no longer lets ``user`` in; asks it at most once per recheck interval."""
    if not enabled() or user is None or not user.is_authenticated:
        return True
    key = _key(user.pk)
    if cache.get(key) is not None:
        return True
    state = check(user, request)
    if state == DENIED:
        return False
    # An outage keeps sessions open (refusing everyone would lock the whole lab out) but asks again soon.
    cache.set(key, state, min(RETRY_SECONDS, recheck_seconds()) if state == UNREACHABLE else recheck_seconds())
    return True


def sync_all() -> dict[str, int]:
    """Re-check every directory-managed user now (manage.py ldap_sync); counts per outcome."""
    from django.contrib.auth import get_user_model

    counts = {ALLOWED: 0, DENIED: 0, UNREACHABLE: 0}
    users = get_user_model().objects.filter(directory_account__isnull=False, directory_account__refused="")
    for user in users.order_by("pk"):
        state = check(user)
        counts[state] = counts.get(state, 0) + 1
        if state == UNREACHABLE:
            break  # one timeout is enough to know; the rest would each wait as long
        cache.set(_key(user.pk), state, recheck_seconds())
    return counts
