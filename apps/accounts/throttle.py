"""Login throttling: too many failed logins for a user name or an address lock it out for a while."""

from django.conf import settings
from django.core.cache import cache


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
