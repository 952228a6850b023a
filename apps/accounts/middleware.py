"""Sessions of directory users end once the directory no longer lets them in (see apps.accounts.directory)."""

from django.contrib.auth import logout
from django.db import DatabaseError

from apps.accounts.directory import enabled, still_allowed


class DirectoryRecheckMiddleware:
    """After AuthenticationMiddleware: re-validate a directory user at most once per recheck interval."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if enabled():
            try:
                allowed = still_allowed(request.user, request)
            except DatabaseError:
                # The database is down: the view meets the same error inside DatabaseOutageMiddleware (503).
                allowed = True
            if not allowed:
                logout(request)
        return self.get_response(request)
