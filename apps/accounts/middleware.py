"""Sessions of directory users end once the directory no longer lets them in (see apps.accounts.directory)."""

from django.contrib.auth import logout

from apps.accounts.directory import enabled, still_allowed


class DirectoryRecheckMiddleware:
    """After AuthenticationMiddleware: re-validate a directory user at most once per recheck interval."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if enabled() and not still_allowed(request.user, request):
            logout(request)
        return self.get_response(request)
