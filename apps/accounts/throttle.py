"""Login throttling: too many failed logins for a user name or an address lock it out for a while.

One throttle for every way in. ``LockoutBackend`` sits first in AUTHENTICATION_BACKENDS, so any call
of Django's ``authenticate()`` (the portal login, the admin login, a token exchange) is refused while
the name or the address is locked, and the ``user_login_failed`` signal counts every failure. Code
that checks a user name and password itself calls ``authenticate()`` here: it raises ``LockedOut``
(a ``PermissionDenied``) with ``LOCKED_MESSAGE`` instead of returning None while locked.
"""

from django.conf import settings
from django.contrib import auth
from django.core.cache import cache
from django.core.exceptions import PermissionDenied

LOCKED_MESSAGE = "Too many failed logins: try again in a few minutes."


class LockedOut(PermissionDenied):
    """Raised by ``authenticate`` while the user name or the address is locked."""


def _keys(request, username: str) -> list[str]:
    address = request.META.get("REMOTE_ADDR", "") if request is not None else ""
    return [f"login-fail:user:{username.lower()}", f"login-fail:addr:{address}"]


def is_locked(request, username: str) -> bool:
    return any((cache.get(key) or 0) >= settings.LOGIN_MAX_FAILURES for key in _keys(request, username))


def record_failure(request, username: str) -> None:
    for key in _keys(request, username):
        cache.add(key, 0, settings.LOGIN_LOCKOUT_SECONDS)
        try:
            cache.incr(key)
        except ValueError:
            cache.set(key, 1, settings.LOGIN_LOCKOUT_SECONDS)


def clear(request, username: str) -> None:
    cache.delete_many(_keys(request, username))


def authenticate(request, username: str, password: str):
    """The user for these credentials, or None (the failure is counted); raises LockedOut while locked."""
    if is_locked(request, username):
        raise LockedOut(LOCKED_MESSAGE)
    user = auth.authenticate(request, username=username, password=password)
    if user is not None:
        clear(request, username)
    return user


class LockoutBackend:
    """First authentication backend: stops the others from even trying while locked.

    It has no get_user(), so that sessions never name it (force_login and login() take the next one).
    """

    def authenticate(self, request, username=None, **credentials):
        if username and is_locked(request, username):
            # PermissionDenied ends authenticate() at once; Django still sends user_login_failed.
            raise LockedOut(LOCKED_MESSAGE)
        return None


def count_failure(sender, credentials, request=None, **kwargs) -> None:
    """user_login_failed receiver: count a failure (attempts made while already locked add nothing)."""
    username = credentials.get("username") or ""
    if getattr(request, "ldap_unreachable", False) and not _has_local_password(username):
        return  # the directory could not check it: not a wrong password, and never a reason to lock anyone out
    if username and not is_locked(request, username):
        record_failure(request, username)


def _has_local_password(username: str) -> bool:
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(username__iexact=username).first() if username else None
    return user is not None and user.has_usable_password()


def forget_failures(sender, request, user, **kwargs) -> None:
    """user_logged_in receiver: a successful login starts the count again."""
    clear(request, user.get_username())


def connect_signals() -> None:
    from django.contrib.auth.signals import user_logged_in, user_login_failed

    user_login_failed.connect(count_failure, dispatch_uid="hydra-login-throttle-count")
    user_logged_in.connect(forget_failures, dispatch_uid="hydra-login-throttle-forget")
