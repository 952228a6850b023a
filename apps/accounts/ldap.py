"""Directory login glue: roles and account take-over from django-auth-ldap's signals, and outage reporting."""

from __future__ import annotations

import logging

from django.conf import settings

log = logging.getLogger(__name__)


def connect_signals() -> None:
    """Hook into django-auth-ldap; a no-op when LDAP is not configured."""
    if not getattr(settings, "AUTH_LDAP_SERVER_URI", ""):
        return
    from django_auth_ldap.backend import ldap_error, populate_user

    populate_user.connect(on_populate, dispatch_uid="hydra-ldap-roles")
    ldap_error.connect(remember_ldap_error, dispatch_uid="hydra-ldap-errors")


def on_populate(sender, user, ldap_user, **kwargs):
    """The directory let ``user`` in (login or re-check): roles follow its groups, the account becomes managed."""
    from apps.accounts.directory import role_map, set_roles, take_over

    if user.pk is None:
        user.set_unusable_password()
        user.save()
    if role_map():
        set_roles(user, ldap_user.group_dns)
    take_over(user, ldap_user.dn or "")


def remember_ldap_error(sender, context, user, request=None, exception=None, **kwargs):
    """Flag the request so the login form can say the directory is unreachable (and the throttle not count it)."""
    import ldap

    if isinstance(exception, ldap.SERVER_DOWN | ldap.TIMEOUT | ldap.CONNECT_ERROR):
        log.error("LDAP server %s unreachable: %s", settings.AUTH_LDAP_SERVER_URI, exception)
        if request is not None:
            request.ldap_unreachable = True
