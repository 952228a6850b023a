"""django-auth-ldap's backend with three changes: no cached failures, several deny groups, logged refusals.

django-auth-ldap caches the result of the user search for AUTH_LDAP_CACHE_TIMEOUT, including "not
found" and the None it returns when the server is down, so a user stayed refused for minutes after an
outage. Here only a found DN is cached, and a server error propagates (django-auth-ldap reports it through
its ``ldap_error`` signal, which tells the login page the directory is unreachable).
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.cache import cache
from django_auth_ldap.backend import LDAPBackend, _LDAPUser, valid_cache_key

log = logging.getLogger("apps.accounts.ldap")


class DirectoryUser(_LDAPUser):
    """One user's view of the directory; ``fresh=True`` skips every cache (used by re-validation)."""

    def __init__(self, backend, username=None, user=None, request=None, fresh=False):
        super().__init__(backend, username=username, user=user, request=request)
        self.fresh = fresh

    def _search_for_user_dn(self):
        search = self.settings.USER_SEARCH
        key = valid_cache_key(f"django_auth_ldap.user_dn.{self._username}")
        use_cache = self.settings.CACHE_TIMEOUT > 0 and not self.fresh
        if use_cache and (dn := cache.get(key)) is not None:
            return dn
        results = search.execute(self.connection, {"user": self._username})
        if not results or len(results) != 1:
            return None
        dn, self._user_attrs = next(iter(results))
        if use_cache:
            cache.set(key, dn, self.settings.CACHE_TIMEOUT)
        return dn

    def _check_denied_group(self):
        for dn in getattr(settings, "HYDRA_LDAP_DENY_GROUPS", []):
            if self._get_groups().is_member_of(dn):
                raise self.AuthenticationFailed(f"member of the deny group {dn}")
        return True

    def _check_required_group(self):
        try:
            return super()._check_required_group()
        except self.AuthenticationFailed:
            groups = " or ".join(getattr(settings, "HYDRA_LDAP_REQUIRE_GROUPS", [])) or "the required group"
            raise self.AuthenticationFailed(f"not a member of {groups}") from None

    def _check_requirements(self):
        try:
            super()._check_requirements()
        except self.AuthenticationFailed as exc:
            # The user gets the usual wrong-password message; the reason goes to the log and the audit log.
            from apps.accounts.directory import refused_by_directory

            refused_by_directory(self.backend.ldap_to_django_username(self._username), str(exc), self.dn)
            raise


class DirectoryBackend(LDAPBackend):
    """AUTHENTICATION_BACKENDS entry for directory logins (see the module docstring)."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        username = kwargs.get(self.get_user_model().USERNAME_FIELD, username)
        if username is None or not password:
            return None
        return self.authenticate_ldap_user(DirectoryUser(self, username=username.strip(), request=request), password)

    def get_user(self, user_id):
        user = self.get_user_model().objects.filter(pk=user_id).first()
        if user is not None:
            DirectoryUser(self, user=user)
        return user

    def populate_user(self, username):
        return DirectoryUser(self, username=username).populate_user()
