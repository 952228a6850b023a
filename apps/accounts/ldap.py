"""Directory login glue: map directory groups to roles, and say clearly when the server is down."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth.models import Group

from apps.accounts.roles import ADMIN

log = logging.getLogger(__name__)


def connect_signals() -> None:
    """Hook into django-auth-ldap; a no-op when LDAP is not configured."""
    if not getattr(settings, "AUTH_LDAP_SERVER_URI", ""):
        return
    from django_auth_ldap.backend import ldap_error, populate_user

    populate_user.connect(apply_role_map, dispatch_uid="hydra-ldap-roles")
    ldap_error.connect(remember_ldap_error, dispatch_uid="hydra-ldap-errors")


def apply_role_map(sender, user, ldap_user, **kwargs):
    """Give the user exactly the roles their directory groups map to (other groups are kept)."""
    role_map = {dn.lower(): role for dn, role in settings.HYDRA_LDAP_ROLE_MAP.items()}
    if not role_map:
        return
    member_of = {dn.lower() for dn in ldap_user.group_dns}
    roles = {role for dn, role in role_map.items() if dn in member_of}
    managed = set(role_map.values())
    if user.pk is None:
        user.save()
    current = set(user.groups.filter(name__in=managed).values_list("name", flat=True))
    user.groups.remove(*Group.objects.filter(name__in=current - roles))
    user.groups.add(*Group.objects.filter(name__in=roles - current))
    user.is_staff = ADMIN in roles or user.is_superuser


def remember_ldap_error(sender, context, user, request=None, exception=None, **kwargs):
    """Flag the request so the login form can say the directory is unreachable."""
    import ldap

    if isinstance(exception, ldap.SERVER_DOWN | ldap.TIMEOUT | ldap.CONNECT_ERROR):
        log.error("LDAP server %s unreachable: %s", settings.AUTH_LDAP_SERVER_URI, exception)
        if request is not None:
            request.ldap_unreachable = True
