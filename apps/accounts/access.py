"""Who may see a page: open reading when HYDRA_OPEN_ACCESS is on, a login otherwise (``can_read``)."""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.http import JsonResponse

from apps.accounts.permissions import can_read


def read_required(view):
    """Let the request through when the visitor may read; send anyone else to the login page."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not can_read(request.user):
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    return wrapped


def login_required_json(view):
    """For endpoints that scripts call with fetch(): a 401 JSON answer instead of a redirect."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return JsonResponse({"error": "Log in to do this."}, status=401)
        return view(request, *args, **kwargs)

    return wrapped
